import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demuxToText, execIn } from "../../provider/docker/docker-exec";
import {
  DYNO_MANAGER,
  DYNO_MANAGER_VOLUME,
  ensureDynoManager,
  markStoppedByDynoform,
  readDynoManagerLog,
  removeDynoManagerIfIdle,
} from "../../provider/formations/dyno-manager-controller";
import { startDyno, stopDyno, type DynoSpec } from "../../provider/formations/dyno-driver";
import { provider as formationProvider } from "../../provider/formations/formation-provider";
import { buildImage } from "../../provider/docker/image-build";
import { LABEL } from "../../provider/docker/labels";
import { ensureNetwork } from "../../provider/router/router-controller";
import type { FormationOutputs } from "../../sdk/formation";
import type { CommandIO } from "../../cli/check";
import { runPs } from "../../cli/ps";
import { docker, removeTestApps, testDyno, waitFor } from "../support/docker";
import { REPO, uniqueSuffix } from "../support/pulumi";

/** The manager's own output since `since` (seconds), for what it decided. */
async function managerOutput(since: number): Promise<string> {
  return demuxToText(
    (await docker.getContainer(DYNO_MANAGER).logs({ stdout: true, stderr: true, follow: false, since })) as unknown as Buffer,
  );
}

// Cool-offs shrunk: 20 min → 3 s, 40 min → 6 s. The manager is replaced when its scale differs.
const SCALE = "0.0025";

// Heroku's model: a dyno that stops when nobody asked (its own exit, `docker kill`, `docker stop`,
// the OOM killer) crashed and comes back as a fresh container; only Dynoform's own stops stay.
// Real dynos, real dyno manager container.
describe("dyno manager", () => {
  const app = `crash-${uniqueSuffix()}`;
  const network = `dynoform-app-${app}`;
  let image = "";
  let scaleBefore: string | undefined;
  const spec = (index: number, over: Partial<DynoSpec> = {}): DynoSpec => testDyno(app, index, image, over);
  const inspect = (index: number) => docker.getContainer(`${app}.web.${index}`).inspect();
  /** The dyno's next container (another id), once it runs. */
  const replaced = (index: number, id: string, timeoutMs = 30_000) =>
    waitFor(
      `a new container for ${app}.web.${index}`,
      async () => {
        const info = await inspect(index);
        return info.Id !== id && info.State.Running ? info : undefined;
      },
      timeoutMs,
    );

  beforeAll(async () => {
    scaleBefore = process.env.DYNOFORM_CRASH_BACKOFF_SCALE;
    process.env.DYNOFORM_CRASH_BACKOFF_SCALE = SCALE;
    image = (
      await buildImage(path.join(REPO, "examples/hello/app"), `dynoform/app-${app}:test`, { [LABEL.managed]: "true", [LABEL.app]: app })
    ).tag;
    await ensureNetwork(network, { [LABEL.managed]: "true", [LABEL.app]: app });
    await ensureDynoManager();
  }, 300_000);

  afterAll(async () => {
    await removeTestApps([app], [image]);
    if (scaleBefore === undefined) delete process.env.DYNOFORM_CRASH_BACKOFF_SCALE;
    else process.env.DYNOFORM_CRASH_BACKOFF_SCALE = scaleBefore;
    // Removes the manager and its volume when no other test's dynos are left on the engine.
    await removeDynoManagerIfIdle();
  });

  it("restarts a crashed dyno as a fresh container, without the files it wrote, and logs it as Heroku does", async () => {
    const first = await startDyno(spec(1));
    expect(
      (await execIn(first, ["sh", "-c", "echo written-before-crash > /tmp/marker && echo last-words-before-crash && cat /tmp/marker"]))
        .output,
    ).toContain("written-before-crash");
    await execIn(first, ["sh", "-c", "echo last-words-before-crash > /proc/1/fd/1; kill -9 $(pgrep -f server.pl || pidof perl)"]);
    const fresh = await replaced(1, first.id);
    expect(fresh.Config.Labels[LABEL.dyno]).toBe("web.1");
    expect(fresh.Config.Env).toContain("DYNO=web.1");
    expect(fresh.NetworkSettings.Networks[network].Aliases).toContain(`web.${app}.dyno`);
    const ls = await execIn(docker.getContainer(`${app}.web.1`), ["sh", "-c", "cat /tmp/marker 2>&1 || echo gone"]);
    expect(ls.output).toContain("gone");
    // Heroku's lines, and the crashed dyno's last output, outlive its container.
    const lines = await waitFor("the crash in the manager's log", async () => {
      const l = (await readDynoManagerLog(docker, app, 1000)).map((x) => `${x.source}: ${x.text}`);
      return l.some((x) => x.includes("State changed from crashed to starting")) ? l : undefined;
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        "heroku[web.1]: Process exited with status 137",
        "heroku[web.1]: State changed from up to crashed",
        "app[web.1]: last-words-before-crash",
      ]),
    );
  });

  it("restarts a dyno stopped by `docker kill` or `docker stop`: nobody asked Dynoform", async () => {
    const killed = await startDyno(spec(2));
    const stopped = await startDyno(spec(3));
    await killed.kill();
    await stopped.stop({ t: 1 });
    await replaced(2, killed.id);
    await replaced(3, stopped.id);
  });

  it("leaves a dyno Dynoform stops on purpose stopped", async () => {
    const c = await startDyno(spec(4));
    await markStoppedByDynoform([c.id]);
    await c.stop({ t: 1 });
    await new Promise((r) => setTimeout(r, 3000));
    const info = await inspect(4);
    expect(info.Id).toBe(c.id);
    expect(info.State.Running).toBe(false);
    await stopDyno(c.id);
  });

  it("says R15 when the kernel kills a dyno for its memory", async () => {
    const since = Math.floor(Date.now() / 1000);
    const hog = await startDyno(
      spec(5, {
        processType: "worker",
        limits: { memoryBytes: 64 * 1024 * 1024, cpuShares: 1024, pidsLimit: 256 },
        command: "sleep 1; perl -e '$x = q(a) x (200*1024*1024); sleep 60'",
      }),
    );
    const lines = await waitFor("the out-of-memory crash in the manager's log", async () => {
      const l = (await readDynoManagerLog(docker, app, 1000))
        .filter((x) => x.source === "heroku[worker.5]" && x.time >= new Date(since * 1000).toISOString())
        .map((x) => x.text);
      return l.includes("State changed from up to crashed") ? l : undefined;
    });
    expect(lines).toEqual(expect.arrayContaining(["Error R15 (Memory quota vastly exceeded)", "Process exited with status 137"]));
    await stopDyno(hog.id);
    await docker
      .getContainer(`${app}.worker.5`)
      .remove({ force: true })
      .catch(() => undefined);
  });

  it("counts crashes per release across its own restart, and misses no crash of a dyno replaced during a cool-off", async () => {
    const since = Math.floor(Date.now() / 1000);
    const a = await startDyno(spec(6));
    await a.kill();
    const b = await replaced(6, a.id); // crash 1: at once
    await docker.getContainer(b.Id).kill(); // crash 2: 20 min, scaled
    await waitFor("crash 2 noted", async () =>
      (await managerOutput(since)).includes(`${app}.web.6 crashed (exit 137); restarting in 3 s (crash 2 of release v1`) ? true : undefined,
    );
    // The manager is killed (Docker will not restart it) and brought back, as the next `up` does.
    await docker.getContainer(DYNO_MANAGER).kill();
    await ensureDynoManager();
    const c = await replaced(6, b.Id);
    await docker.getContainer(c.Id).kill();
    await waitFor("crash 3 counted from the history on the volume", async () =>
      (await managerOutput(since)).includes(`${app}.web.6 crashed (exit 137); restarting in 6 s (crash 3 of release v1`) ? true : undefined,
    );
    // Meanwhile `up` deploys release v2 in its place: its first crash restarts at once.
    await stopDyno(c.Id);
    const v2 = await startDyno(spec(6, { release: "v2" }));
    await v2.kill();
    await waitFor("the new release's crash", async () =>
      (await managerOutput(since)).includes(`${app}.web.6 crashed (exit 137); restarting in 0 s (crash 1 of release v2`) ? true : undefined,
    );
    const d = await replaced(6, v2.id, 5_000);
    expect(d.Config.Labels[LABEL.release]).toBe("v2");
  }, 90_000);

  it("does not count the Docker Engine's shutdown as a crash", async () => {
    // What the engine's shutdown does, without stopping the shared engine: SIGTERM to the
    // manager and the dynos together, then the manager comes back.
    const since = Math.floor(Date.now() / 1000);
    const dyno = await startDyno(spec(7));
    await Promise.all([docker.getContainer(DYNO_MANAGER).stop({ t: 5 }), dyno.stop({ t: 2 })]);
    await docker.getContainer(DYNO_MANAGER).start();
    await replaced(7, dyno.id);
    const out = await managerOutput(since);
    expect(out).toContain(`dyno ${app}.web.7 stopped with the Docker Engine; starting it again (no crash)`);
    expect(out).not.toContain(`${app}.web.7 crashed`);
  });

  it("is reported by ps when down, brought back by a Formation's diff (an `up` with nothing to change) and shown as drift by refresh", async () => {
    await docker.getContainer(DYNO_MANAGER).kill();
    let ps = "";
    await runPs(["--app", app], { stdout: (s) => void (ps += s), stderr: () => undefined } satisfies CommandIO, docker);
    expect(ps).toContain("The dyno manager (dynoform-dyno-manager) is not running: crashed dynos are not restarted");
    const props = { app, release: "v1", processes: {} } as unknown as FormationOutputs;
    const diff = await formationProvider.diff(app, { ...props, dynoManager: "running" }, props);
    expect(diff.changes).toBe(true);
    const read = await formationProvider.read(app, { ...props, dynoManager: "running" });
    expect(read.props?.dynoManager).toBe("stopped");
    expect((await docker.getContainer(DYNO_MANAGER).inspect()).State.Running).toBe(true);
    expect((await formationProvider.diff(app, { ...props, dynoManager: "running" }, props)).changes).toBe(false);
  });

  it("keeps its data on a volume", async () => {
    const info = await docker.getContainer(DYNO_MANAGER).inspect();
    expect(info.Mounts.map((m) => m.Name)).toContain(DYNO_MANAGER_VOLUME);
  });
});
