import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDynoManager, removeDynoManagerIfIdle } from "../../provider/formations/dyno-manager-controller";
import { docker } from "../support/docker";
import { getUntil, steadyLoad } from "../support/http";
import { REPO, uniqueSuffix } from "../support/pulumi";
import { RouterTestApp } from "../support/router-app";

/** Stops the Docker Engine and starts it again the way the project's set-up does. */
function restartDockerEngine(): void {
  const pids = spawnSync("pidof", ["dockerd"]).stdout.toString().trim();
  expect(pids, "dockerd is not running").not.toBe("");
  execFileSync("kill", ["-TERM", ...pids.split(" ")]);
  for (let i = 0; i < 120 && spawnSync("pidof", ["dockerd"]).status === 0; i++) execFileSync("sleep", ["0.5"]);
  execFileSync("bash", [path.join(REPO, "scripts/setup.sh")], { stdio: "ignore", timeout: 180_000 });
}

// The router keeps serving the same routes through its own restart, the engine's restart, and a
// dyno killed under load.
describe("the router survives restarts and dying dynos", () => {
  const router = { name: `r-res-${uniqueSuffix()}`, httpPort: 8193 };
  const t = new RouterTestApp("rres", router);

  beforeAll(async () => {
    await t.setup();
    await ensureDynoManager();
    await t.scale(2);
    await getUntil(t.url, (r) => r.status === 200);
  });
  afterAll(async () => {
    await t.cleanup();
    await removeDynoManagerIfIdle();
  });

  it("costs at most the requests in flight when a dyno is killed under load", async () => {
    const concurrency = 4;
    const load = steadyLoad(t.url, concurrency);
    await new Promise((r) => setTimeout(r, 1500));
    // `docker kill`: nobody asked Dynoform to stop it, so it is a crash (Heroku's model).
    await docker.getContainer(`${t.app}.web.2`).kill();
    await new Promise((r) => setTimeout(r, 3000));
    const result = await load.stop();
    expect(result.ok).toBeGreaterThan(100);
    expect(result.failed, `failed requests: ${JSON.stringify(result.failures)}`).toBeLessThanOrEqual(concurrency);
    // The dyno manager brings the killed dyno back as a fresh container.
    expect((await getUntil(t.url, (r) => r.body === "Hello from web.2\n", 30_000)).body).toBe("Hello from web.2\n");
  });

  it("comes back after `docker kill` (Docker's restart policy skips it): the dyno manager starts it", async () => {
    await docker.getContainer(router.name).kill();
    const r = await getUntil(t.url, (x) => x.status === 200, 20_000);
    expect(r.body).toMatch(/^Hello from web\.[12]\n$/);
    expect((await docker.getContainer(router.name).inspect()).State.Running).toBe(true);
  });

  it("makes a router from an older image again, keeping its ports and routes", async () => {
    const info = await docker.getContainer(router.name).inspect();
    const current = info.Config.Image;
    const older = "dynoform/router:older-test";
    await docker.getImage(current).tag({ repo: "dynoform/router", tag: "older-test" });
    await docker.getContainer(router.name).remove({ force: true });
    const made = await docker.createContainer({
      name: router.name,
      Image: older,
      Labels: info.Config.Labels,
      ExposedPorts: info.Config.ExposedPorts,
      HostConfig: {
        PortBindings: info.HostConfig.PortBindings,
        RestartPolicy: { Name: "always" },
        NetworkMode: info.HostConfig.NetworkMode,
      },
    });
    await made.start();
    try {
      await t.sync();
      expect((await docker.getContainer(router.name).inspect()).Config.Image).toBe(current);
      expect((await getUntil(t.url, (r) => r.status === 200)).status).toBe(200);
    } finally {
      await docker
        .getImage(older)
        .remove()
        .catch(() => undefined);
    }
  });

  it("keeps its routes through its own restart", async () => {
    await docker.getContainer(router.name).restart({ t: 5 });
    const r = await getUntil(t.url, (x) => x.status === 200, 20_000);
    expect(r.body).toMatch(/^Hello from web\.[12]\n$/);
  });

  it("keeps its routes through a restart of the Docker Engine", async () => {
    restartDockerEngine();
    const seen = new Set<string>();
    const deadline = Date.now() + 60_000;
    while (seen.size < 2 && Date.now() < deadline) {
      const r = await getUntil(t.url, (x) => x.status === 200, 60_000);
      seen.add(r.body.trim());
    }
    expect([...seen].sort()).toEqual(["Hello from web.1", "Hello from web.2"]);
  }, 240_000);
});
