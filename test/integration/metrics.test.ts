import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DYNO_MANAGER,
  ensureDynoManager,
  readDynoManagerLog,
  readMetrics,
  removeDynoManagerIfIdle,
} from "../../provider/formations/dyno-manager-controller";
import { startDyno, type DynoSpec } from "../../provider/formations/dyno-driver";
import { buildImage } from "../../provider/docker/image-build";
import { LABEL } from "../../provider/docker/labels";
import { ensureNetwork } from "../../provider/router/router-controller";
import { getDynoSize } from "../../sdk/dyno-sizes";
import type { CommandIO } from "../../cli/check";
import { runMetrics } from "../../cli/metrics";
import { runLogs } from "../../cli/logs";
import { docker, removeTestApps, waitFor } from "../support/docker";
import { REPO, uniqueSuffix } from "../support/pulumi";

/** `dynoform metrics` as a user runs it, its output captured. */
async function metrics(args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const io: CommandIO = { stdout: (t) => (out += t), stderr: (t) => (out += t) };
  const code = await runMetrics(args, io, docker);
  return { code, out };
}

/** Perl allocating `mb` MB in 10 MB strings (no temporary copy of the whole), then idling. */
const allocate = (mb: number) => `perl -e 'my @a; push @a, q(a) x (10*1024*1024) for 1..${mb / 10}; sleep 3600'`;

// Heroku's R14/R15 on a real engine: a Standard-1X dyno (512 MB quota, killed at 2× = 1 GB) over
// its quota keeps running with R14 lines in its log; past 1 GB the kernel kills it: R15 and a
// crash restart. The dyno manager samples every second here (Heroku: 20 s).
describe("metrics and memory errors", () => {
  const app = `mem-${uniqueSuffix()}`;
  const ecoApp = `eco-${uniqueSuffix()}`;
  const network = `dynoform-app-${app}`;
  let image = "";
  const saved: Record<string, string | undefined> = {};
  const standard = getDynoSize("standard-1x")!;
  const waitLong = <T>(what: string, probe: () => Promise<T | undefined>) => waitFor(what, probe, 60_000);
  const spec = (index: number, command: string, over: Partial<DynoSpec> = {}): DynoSpec => ({
    app,
    processType: "worker",
    index,
    release: "v1",
    size: "standard-1x",
    image,
    command,
    env: {},
    network,
    aliases: [],
    webPort: 5000,
    limits: standard.docker,
    ...over,
  });
  const heroku = async (dyno: string) =>
    (await readDynoManagerLog(docker, app, 5000)).filter((l) => l.source === `heroku[${dyno}]`).map((l) => l.text);

  beforeAll(async () => {
    for (const k of ["DYNOFORM_CRASH_BACKOFF_SCALE", "DYNOFORM_METRICS_INTERVAL"]) saved[k] = process.env[k];
    process.env.DYNOFORM_CRASH_BACKOFF_SCALE = "0.0025";
    process.env.DYNOFORM_METRICS_INTERVAL = "1";
    image = (
      await buildImage(path.join(REPO, "examples/hello/app"), `dynoform/app-${app}:test`, { [LABEL.managed]: "true", [LABEL.app]: app })
    ).tag;
    await ensureNetwork(network, { [LABEL.managed]: "true", [LABEL.app]: app });
    await ensureDynoManager();
  }, 300_000);

  afterAll(async () => {
    // The Eco dyno runs on the main app's network: it goes first.
    await removeTestApps([ecoApp, app], [image]);
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await removeDynoManagerIfIdle();
  });

  it("gives a dyno its size's R15 threshold as the kernel's limit, and its quota as a label", async () => {
    const c = await startDyno(spec(1, allocate(600)));
    const info = await c.inspect();
    expect(info.HostConfig.Memory).toBe(1024 * 1024 * 1024);
    expect(info.Config.Labels[LABEL.memoryQuota]).toBe("512");
    expect(info.Config.Labels[LABEL.metrics]).toBe("7d");
  });

  it("logs R14 for a dyno over its quota, which keeps running", async () => {
    const first = await docker.getContainer(`${app}.worker.1`).inspect();
    const lines = await waitLong("R14 lines for worker.1", async () => {
      const l = await heroku("worker.1");
      return l.includes("Error R14 (Memory quota exceeded)") ? l : undefined;
    });
    const mem = lines.find((l) => l.startsWith("Process running mem="));
    expect(mem).toMatch(/^Process running mem=6\d\dM\(1[12]\d\.\d%\)$/);
    const now = await docker.getContainer(`${app}.worker.1`).inspect();
    expect([now.Id, now.State.Running]).toEqual([first.Id, true]);
    expect(lines).not.toContain("Error R15 (Memory quota vastly exceeded)");
    // As a person sees them.
    let logs = "";
    await runLogs(["--app", app, "--dyno", "worker.1"], { stdout: (t) => (logs += t), stderr: (t) => (logs += t) }, docker);
    expect(logs).toMatch(
      / heroku\[worker\.1\]: Process running mem=6\d\dM\(1[12]\d\.\d%\)\n.* heroku\[worker\.1\]: Error R14 \(Memory quota exceeded\)/,
    );
  });

  it("kills a dyno past its R15 threshold: R15, a crash, a fresh container", async () => {
    const hog = await startDyno(spec(2, allocate(1100)));
    const lines = await waitLong("R15 and the restart of worker.2", async () => {
      const l = await heroku("worker.2");
      return l.includes("State changed from crashed to starting") ? l : undefined;
    });
    expect(lines).toEqual(expect.arrayContaining(["Error R15 (Memory quota vastly exceeded)", "Process exited with status 137"]));
    expect((await docker.getContainer(`${app}.worker.2`).inspect()).Id).not.toBe(hog.id);
  });

  it("stores the samples and `dynoform metrics` prints them with a chart; they survive the manager's restart", async () => {
    const printed = await waitLong("worker.1 and worker.2 in dynoform metrics", async () => {
      const r = await metrics(["--app", app, "--since", "2h"]);
      return r.out.includes("=== worker.1") && /crashes [1-9]/.test(r.out) ? r : undefined;
    });
    expect(printed.code).toBe(0);
    expect(printed.out).toContain(`${app}: the past 2h at 1m resolution`);
    expect(printed.out).toContain("=== worker.1 (quota 512 MB)");
    expect(printed.out).toMatch(/memory {2}[▁▂▃▄▅▆▇█ ]+ {2}now 6\d\d MB \(1[12]\d\.\d%\)/);
    expect(printed.out).toMatch(/=== worker\.2[\s\S]*crashes [1-9]\d* {2}restarts [1-9]/);
    const typed = await metrics(["--app", app, "--type", "worker", "--since", "3d"]);
    expect(typed.out).toContain("the past 3d at 1h resolution");
    expect(typed.out).toContain("=== worker.1");

    if (process.env.SHOW_METRICS) console.log(printed.out);

    // The store is on the manager's volume: a killed and restarted manager (a new version would be the same) keeps it,
    // and samples go on landing in it.
    const samplesOf = async (dyno: string) =>
      (await readMetrics(docker, { app, res: 7200, sinceEpoch: 0 })).filter((r) => r.dyno === dyno).reduce((a, r) => a + r.samples, 0);
    const before = await samplesOf("worker.1");
    const manager = docker.getContainer(DYNO_MANAGER);
    await manager.kill();
    await manager.start().catch(() => undefined);
    const after = await metrics(["--app", app, "--since", "2h"]);
    expect(after.out).toContain("=== worker.1 (quota 512 MB)");
    expect(after.out).toMatch(/crashes [1-9]/);
    expect(await samplesOf("worker.1")).toBeGreaterThanOrEqual(before);
    await waitLong("new samples after the manager's restart", async () => ((await samplesOf("worker.1")) > before + 2 ? true : undefined));
  });

  it("says metrics are not available on Eco", async () => {
    await startDyno({ ...spec(1, "sleep 3600", { size: "eco" }), app: ecoApp, limits: getDynoSize("eco")!.docker });
    const r = await metrics(["--app", ecoApp]);
    expect(r).toEqual({ code: 0, out: expect.stringContaining("Metrics are not available for Eco dynos") });
  });
});
