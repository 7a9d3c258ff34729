import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execIn } from "../../provider/docker/docker-exec";
import { ensureDynoManager, removeDynoManagerIfIdle } from "../../provider/formations/dyno-manager-controller";
import { startDyno, stopDyno, type DynoSpec } from "../../provider/formations/dyno-driver";
import { buildImage } from "../../provider/docker/image-build";
import { LABEL } from "../../provider/docker/labels";
import { ensureNetwork } from "../../provider/router/router-controller";
import { docker } from "../support/docker";
import { REPO, uniqueSuffix } from "../support/pulumi";

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// A crashed dyno comes back as a fresh container (the files it wrote are gone); a dyno stopped on
// purpose stays stopped. Real dynos, real dyno manager container.
describe("dyno manager", () => {
  const app = `crash-${uniqueSuffix()}`;
  const network = `dynoform-app-${app}`;
  let image = "";
  const spec = (index: number): DynoSpec => ({
    app, processType: "web", index, release: "v1", size: "standard-1x", image, env: {}, network,
    aliases: [`web.${app}.dyno`], webPort: 5000, limits: { memoryBytes: 512 * 1024 * 1024, cpuShares: 1024, pidsLimit: 256 },
  });

  beforeAll(async () => {
    image = (await buildImage(path.join(REPO, "examples/hello/app"), `dynoform/app-${app}:test`, { [LABEL.managed]: "true", [LABEL.app]: app })).tag;
    await ensureNetwork(network, { [LABEL.managed]: "true", [LABEL.app]: app });
    await ensureDynoManager();
  }, 300_000);

  afterAll(async () => {
    const dynos = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${app}`] } });
    await Promise.all(dynos.map((d) => stopDyno(d.Id)));
    await docker.getNetwork(network).remove().catch(() => undefined);
    await docker.getImage(image).remove({ force: true }).catch(() => undefined);
    await removeDynoManagerIfIdle();
  });

  it("restarts a crashed dyno as a fresh container, without the files it wrote", async () => {
    const first = await startDyno(spec(1));
    const name = `${app}.web.1`;
    expect((await execIn(first, ["sh", "-c", "echo written-before-crash > /app/marker && cat /app/marker"])).output).toContain("written-before-crash");
    // The web process crashes (killed from inside: no `docker kill`, so not a stop on purpose).
    await execIn(first, ["sh", "-c", "kill -9 $(pgrep -f server.pl || pidof perl)"]);
    const fresh = await waitFor("a new container for the crashed dyno", async () => {
      const info = await docker.getContainer(name).inspect();
      return info.Id !== first.id && info.State.Running ? info : undefined;
    });
    expect(fresh.Config.Labels[LABEL.dyno]).toBe("web.1");
    expect(fresh.Config.Env).toContain("DYNO=web.1");
    expect(fresh.NetworkSettings.Networks[network].Aliases).toContain(`web.${app}.dyno`);
    const ls = await execIn(docker.getContainer(name), ["sh", "-c", "cat /app/marker 2>&1 || echo gone"]);
    expect(ls.output).toContain("gone");
  });

  it("leaves a dyno stopped on purpose stopped", async () => {
    const c = await startDyno(spec(2));
    await c.stop({ t: 1 });
    await new Promise((r) => setTimeout(r, 3000));
    const info = await docker.getContainer(`${app}.web.2`).inspect();
    expect(info.Id).toBe(c.id);
    expect(info.State.Running).toBe(false);
  });
});
