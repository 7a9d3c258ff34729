import { spawn } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stopDyno } from "../../provider/formations/dyno-driver";
import { buildImage } from "../../provider/docker/image-build";
import { LABEL } from "../../provider/docker/labels";
import { applyConfig, removeAppNetwork, routerStatus, syncRouter } from "../../provider/router/router-controller";
import { withRouterLock } from "../../provider/router/router-lock";
import { readTlsState, writeTlsFiles } from "../../provider/router/router-tls-store";
import { provider as appProvider } from "../../provider/apps/app-provider";
import { provider as domainProvider } from "../../provider/tls/domain-provider";
import { tlsFile } from "../../provider/tls/router-tls";
import { docker, removeTestRouter } from "../support/docker";
import { getUntil } from "../support/http";
import { REPO, uniqueSuffix } from "../support/pulumi";

const WORKER = path.join(REPO, "test/support/router-stack-worker.js");

/** Runs one worker process to its end: its exit code and the steps that failed. */
function runWorker(args: object): Promise<{ code: number | null; failures: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WORKER, JSON.stringify(args)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, failures: out.split("\n").filter(Boolean) }));
  });
}

// Several stacks share one router, each from a process of its own (as parallel `pulumi up`s of
// separate projects do). Their router changes must not interleave: a config rendered without
// another stack's route, a temp file swapped away mid-check, a join racing a join.
describe("router shared by stacks that deploy and destroy in parallel", () => {
  const suffix = uniqueSuffix();
  const router = { name: `r-cc-${suffix}`, httpPort: 8213 };
  const stacks = [0, 1, 2, 3].map((i) => ({ app: `cc${i}-${suffix}`, domain: `www.cc${i}-${suffix}.test`, endDeployed: i < 2 }));
  let image = "";

  beforeAll(async () => {
    const labels = { [LABEL.managed]: "true", [LABEL.role]: "app-image", [LABEL.app]: `cc-${suffix}` };
    image = (await buildImage(path.join(REPO, "test/fixtures/router-app"), `dynoform/app-cc-${suffix}:test`, labels)).tag;
  });

  afterAll(async () => {
    for (const s of [...stacks.map((x) => x.app), `ghost-${suffix}`]) {
      const dynos = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${s}`] } });
      await Promise.all(dynos.map((d) => stopDyno(d.Id)));
      await removeAppNetwork(router, `dynoform-app-${s}`).catch(() => undefined);
    }
    await removeTestRouter(router.name);
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  });

  it("4 stacks, 4 rounds of up and destroy each: no step fails, every route is there at the end, nothing is left claimed", async () => {
    const started = Date.now();
    const results = await Promise.all(
      stacks.map((s) => runWorker({ ...s, router: router.name, httpPort: router.httpPort, image, rounds: 4 })),
    );
    const failures = results.flatMap((r) => r.failures);
    expect(failures).toEqual([]);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    console.log(`4 stacks × 4 rounds in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    for (const s of stacks.filter((x) => x.endDeployed)) {
      for (const host of [`${s.app}.test.localhost`, s.domain]) {
        const r = await getUntil(`http://${host}:${router.httpPort}/`, (x) => x.status === 200, 10_000);
        expect(`${host}: ${r.status} ${r.body.trim()}`).toBe(`${host}: 200 Hello from web.1`);
      }
    }
    for (const s of stacks.filter((x) => !x.endDeployed)) {
      const r = await getUntil(`http://${s.domain}:${router.httpPort}/`, (x) => x.status === 404, 10_000);
      expect(r.status).toBe(404);
    }
    const claims = (await readTlsState(router.name)).domains.map((d) => `${d.hostname}=${d.app}`).sort();
    expect(claims).toEqual(
      stacks
        .filter((x) => x.endDeployed)
        .map((x) => `${x.domain}=${x.app}`)
        .sort(),
    );
  }, 240_000);

  it("takes over a hostname claimed by an app that no longer exists, and refuses one whose app exists", async () => {
    const [live, other] = stacks;
    const ghost = `ghost-${suffix}`;
    const hostname = `left-behind-${suffix}.test`;
    // What a destroy that failed halfway leaves: a claim, and no app network or dynos.
    await writeTlsFiles(docker.getContainer(router.name), { [tlsFile.domain(hostname)]: JSON.stringify({ hostname, app: ghost }) });
    const inputs = {
      resource: "taken-over",
      app: live.app,
      hostname,
      router: router.name,
      routerHttpPort: router.httpPort,
      routerHttpsPort: 0,
      appHostname: `${live.app}.test.localhost`,
      claimError: "",
    };
    expect((await domainProvider.check(inputs, inputs)).failures).toEqual([]);
    const created = await domainProvider.create(inputs);
    expect((await readTlsState(router.name)).domains).toContainEqual({ hostname, app: live.app });
    const r = await getUntil(`http://${hostname}:${router.httpPort}/`, (x) => x.status === 200, 10_000);
    expect(r.body.trim()).toBe("Hello from web.1");

    const theirs = { ...inputs, resource: "theirs", app: other.app, hostname: live.domain };
    await expect(domainProvider.create(theirs)).rejects.toThrow(/already belongs to app .* still exists/);
    await domainProvider.delete(hostname, created.outs);
  });

  it("notices a router stopped by hand: status says so, App's diff wants an update, and the next update brings it back", async () => {
    const [live] = stacks;
    await docker.getContainer(router.name).kill();
    expect(await routerStatus(router.name)).toBe("stopped");
    const app = {
      name: live.app,
      router: router.name,
      routerHttpPort: router.httpPort,
      hostnames: [`${live.app}.test.localhost`],
      config: {},
      secrets: {},
    } as never;
    const diff = await appProvider.diff(live.app, app, app);
    expect(diff.changes).toBe(true);
    await syncRouter(router);
    expect(await routerStatus(router.name)).toBe("running");
    const r = await getUntil(`http://${live.app}.test.localhost:${router.httpPort}/`, (x) => x.status === 200, 10_000);
    expect(r.body.trim()).toBe("Hello from web.1");
    expect(await routerStatus(`no-such-router-${suffix}`)).toBe("missing");
  });

  it("says HAProxy's reason when the router rejects a config, and keeps the old one serving", async () => {
    const [live] = stacks;
    const bad = { config: "global\n  bogus-keyword 1\n", tlsFiles: {} };
    await expect(applyConfig(docker.getContainer(router.name), bad)).rejects.toThrow(
      /rejected its new configuration[\s\S]*unknown keyword 'bogus-keyword'/,
    );
    const r = await getUntil(`http://${live.app}.test.localhost:${router.httpPort}/`, (x) => x.status === 200, 5_000);
    expect(r.body.trim()).toBe("Hello from web.1");
  });

  it("releases the lock of a holder that dies", async () => {
    const script = `require(${JSON.stringify(path.join(REPO, "dist/provider/router/router-lock"))}).withRouterLock(${JSON.stringify(router.name)}, "a test holder", () => { console.log("HELD"); return new Promise(() => {}); })`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => child.stdout.on("data", (d) => String(d).includes("HELD") && resolve()));
    const waiting = withRouterLock(router.name, "the test", async () => Date.now(), 20);
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = Date.now();
    child.kill("SIGKILL");
    const acquiredAt = await waiting;
    expect(acquiredAt - killedAt).toBeLessThan(3000);
  });
});
