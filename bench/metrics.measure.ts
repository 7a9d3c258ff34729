import { afterAll, beforeAll, describe, it } from "vitest";
import { DYNO_MANAGER, ensureDynoManager, removeDynoManagerIfIdle } from "../provider/formations/dyno-manager-controller";
import { startDyno } from "../provider/formations/dyno-driver";
import { memoryInUse } from "../provider/dyno-manager/metrics-sampler";
import { ENV } from "../sdk/settings";
import { docker, removeTestApps, testDyno } from "../test/support/docker";
import { getUntil } from "../test/support/http";
import { uniqueSuffix } from "../test/support/pulumi";
import { RouterTestApp } from "../test/support/router-app";
import { wrk, type WrkResult } from "./wrk";

// Issue 13's two targets, each against metrics off (DYNOFORM_METRICS=off: the dyno manager neither
// samples dynos nor follows the routers' requests) in the same run, rounds alternated:
// (a) the router's throughput while the manager follows its every request: goal ≥ 0.95× off;
// (b) the manager's own CPU (its container's cgroup, from the stats API) and memory with 30 dynos
//     reporting at Heroku's 20 s cadence: goal under 2% of one core.
const router = { name: `r-mbench-${uniqueSuffix()}`, httpPort: 8232 };
const web = new RouterTestApp("mbench", router);
const workers = `mbench-w-${uniqueSuffix()}`;
const DYNOS = 30;
const saved = { metrics: process.env[ENV.metrics], interval: process.env[ENV.metricsInterval] };

/** Replaces the manager with metrics on or off (its env differs, so ensureDynoManager replaces it). */
async function manager(on: boolean): Promise<void> {
  process.env[ENV.metrics] = on ? "on" : "off";
  await ensureDynoManager();
  // Let it start, pick the routers up and read what the ring already holds.
  await new Promise((r) => setTimeout(r, 8000));
}

/** The manager container's CPU time (ns) and memory in use (bytes, as `docker stats`). */
async function managerUsage(): Promise<{ cpuNs: number; memoryBytes: number }> {
  const s = (await docker.getContainer(DYNO_MANAGER).stats({ stream: false })) as unknown as {
    cpu_stats: { cpu_usage: { total_usage: number } };
    memory_stats: { usage?: number; stats?: Record<string, number> };
  };
  return { cpuNs: s.cpu_stats.cpu_usage.total_usage, memoryBytes: memoryInUse(s.memory_stats) };
}

/** The manager's CPU over `seconds` (share of one core) and its memory at the end. */
async function managerCost(seconds: number, during?: () => Promise<unknown>): Promise<{ core: number; memoryMb: number; extra?: unknown }> {
  const before = await managerUsage();
  const t0 = process.hrtime.bigint();
  const extra = during ? await during() : await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = await managerUsage();
  const elapsedNs = Number(process.hrtime.bigint() - t0);
  return { core: (after.cpuNs - before.cpuNs) / elapsedNs, memoryMb: after.memoryBytes / 1024 / 1024, extra };
}

beforeAll(async () => {
  process.env[ENV.metricsInterval] = "20";
  await web.setup();
  await web.scale(1);
  await getUntil(web.url, (r) => r.status === 200);
}, 600_000);

afterAll(async () => {
  await removeTestApps([workers]);
  await web.cleanup();
  for (const [k, v] of [
    [ENV.metrics, saved.metrics],
    [ENV.metricsInterval, saved.interval],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  // Back to metrics on for whoever comes next.
  await ensureDynoManager();
  await removeDynoManagerIfIdle();
});

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

describe("metrics benchmarks", () => {
  it("(a) router throughput with the dyno manager following every request, against metrics off", async () => {
    const opts = { seconds: 10, connections: 16 };
    const runs: Record<"on" | "off", Array<WrkResult & { core: number }>> = { on: [], off: [] };
    await wrk(router.httpPort, web.hostname, { ...opts, seconds: 3 }); // warm-up
    for (let round = 0; round < 2; round++) {
      for (const mode of round === 0 ? (["off", "on"] as const) : (["on", "off"] as const)) {
        await manager(mode === "on");
        const cost = await managerCost(opts.seconds, () => wrk(router.httpPort, web.hostname, opts));
        runs[mode].push({ ...(cost.extra as WrkResult), core: cost.core });
      }
    }
    const rps = (m: "on" | "off") => mean(runs[m].map((r) => r.requestsPerSecond));
    const row = (m: "on" | "off") =>
      `metrics ${m.padEnd(3)}  ${rps(m).toFixed(0).padStart(6)} req/s  p50 ${mean(runs[m].map((r) => r.p50Ms)).toFixed(2)} ms  p99 ${mean(
        runs[m].map((r) => r.p99Ms),
      ).toFixed(
        2,
      )} ms  manager CPU ${pct(mean(runs[m].map((r) => r.core)))} of a core  failed ${runs[m].reduce((n, r) => n + r.failed, 0)}`;
    console.log(
      [
        "",
        `bench/metrics (a): wrk -c${opts.connections}, ${opts.seconds} s per run, off/on then on/off, means shown`,
        row("off"),
        row("on"),
        `throughput ratio on/off: ${(rps("on") / rps("off")).toFixed(3)} (goal ≥ 0.95)`,
        "",
      ].join("\n"),
    );
  });

  it("(b) the dyno manager's CPU and memory with 30 dynos reporting, against metrics off", async () => {
    const image = web.image;
    for (let i = 1; i <= DYNOS; i++)
      await startDyno({
        ...testDyno(workers, i, image, { processType: "worker", network: web.network, aliases: [], command: "sleep 3600" }),
      });
    const seconds = 60;
    const runs: Record<"on" | "off", Array<{ core: number; memoryMb: number }>> = { on: [], off: [] };
    for (const mode of ["off", "on", "on", "off"] as const) {
      await manager(mode === "on");
      runs[mode].push(await managerCost(seconds));
    }
    const row = (m: "on" | "off") =>
      `metrics ${m.padEnd(3)}  CPU ${pct(mean(runs[m].map((r) => r.core)))} of a core  memory ${mean(runs[m].map((r) => r.memoryMb)).toFixed(1)} MB`;
    console.log(
      [
        "",
        `bench/metrics (b): ${DYNOS} dynos sampled every 20 s, ${seconds} s per run, off/on/on/off, means shown`,
        row("off"),
        row("on"),
        `metrics' cost: ${pct(mean(runs.on.map((r) => r.core)) - mean(runs.off.map((r) => r.core)))} of a core (goal: the manager under 2%)`,
        "",
      ].join("\n"),
    );
  });
});
