/**
 * Samples every running dyno's memory and load from the engine's stats API (cgroup v1 or v2
 * alike) every `DYNOFORM_METRICS_INTERVAL` seconds (Heroku's 20 s by default), stores them
 * (metrics-store.ts) and logs Heroku's R14 lines for dynos over their memory quota.
 *
 * Definitions (README "Metrics"):
 * - memory in use: the cgroup's usage less its inactive file cache (what `docker stats` shows;
 *   cache the kernel can drop is not counted, as Heroku's RSS does not count it);
 * - dyno load: CPU-seconds the dyno's processes used per second of the interval (the average
 *   number of its tasks running), plus, where the host's kernel gives cgroup v2 pressure stall
 *   information, the share of the interval in which its tasks waited for a CPU (cpu-pressure.ts).
 *   Heroku's load counts waiting tasks too; without PSI a dyno starved of CPU shows less here.
 */
import type { DockerSocket } from "../docker/docker-socket";
import { LABEL } from "../docker/labels";
import { isRetention, r14Lines, type DynoSample, type R14Watch } from "./metrics-plan";
import { CpuPressure, waitingShare } from "./cpu-pressure";

interface Stats {
  read: string;
  memory_stats: { usage?: number; stats?: Record<string, number> };
  cpu_stats: { cpu_usage?: { total_usage?: number } };
}

interface Listed {
  Id: string;
  /** Epoch seconds. */
  Created: number;
  Labels: Record<string, string>;
}

/** Memory in use, bytes: usage less inactive file cache (cgroup v1 `total_inactive_file`, v2 `inactive_file`). */
export function memoryInUse(m: Stats["memory_stats"]): number {
  const cache = m.stats?.total_inactive_file ?? m.stats?.inactive_file ?? 0;
  return Math.max(0, (m.usage ?? 0) - cache);
}

/** Keeps what a sample needs of the previous one (CPU time), and who is over quota. */
export class MetricsSampler {
  private readonly lastCpu = new Map<string, { cpuNs: number; atMs: number }>();
  private readonly r14: R14Watch = new Map();
  private readonly lastWait = new Map<string, { us: number; atMs: number }>();
  private readonly pressure = new CpuPressure();

  constructor(
    private readonly docker: DockerSocket,
    private readonly onLine: (app: string, dyno: string, text: string) => void,
  ) {}

  /** One round: a sample of each running dyno whose tier keeps metrics or has a quota to watch. */
  async sample(): Promise<DynoSample[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: ["dynoform.role=dyno"], status: ["running"] }));
    const { body } = await this.docker.request<Listed[]>("GET", `/containers/json?filters=${filters}`);
    const running = body ?? [];
    const samples: DynoSample[] = [];
    for (const c of running) {
      const stats = await this.docker.request<Stats>("GET", `/containers/${c.Id}/stats?stream=false&one-shot=true`).catch(() => undefined);
      // A dyno removed meanwhile answers 404, or 200 with an empty body.
      if (stats?.status !== 200 || !stats.body?.memory_stats) continue;
      const s = this.toSample(c, stats.body);
      for (const text of r14Lines(this.r14, c.Id, s.memoryMb, s.quotaMb)) this.onLine(s.app, s.dyno, text);
      samples.push(s);
    }
    const live = new Set(running.map((c) => c.Id));
    for (const id of [...this.lastCpu.keys()]) if (!live.has(id)) this.lastCpu.delete(id);
    for (const id of [...this.r14.keys()]) if (!live.has(id)) this.r14.delete(id);
    for (const id of [...this.lastWait.keys()]) if (!live.has(id)) this.lastWait.delete(id);
    this.pressure.keep(live);
    return samples;
  }

  private toSample(c: Listed, st: Stats): DynoSample {
    const atMs = Date.parse(st.read) || Date.now();
    const cpuNs = st.cpu_stats.cpu_usage?.total_usage ?? 0;
    // A dyno seen for the first time: its CPU time since it was created.
    const before = this.lastCpu.get(c.Id) ?? { cpuNs: 0, atMs: c.Created * 1000 };
    this.lastCpu.set(c.Id, { cpuNs, atMs });
    const running = atMs > before.atMs ? Math.max(0, (cpuNs - before.cpuNs) / 1e6 / (atMs - before.atMs)) : 0;
    // Waiting for a CPU (PSI), from the second sample of a dyno on: its first has no interval yet.
    const stalledUs = this.pressure.read(c.Id);
    const waitBefore = this.lastWait.get(c.Id);
    if (stalledUs !== undefined) this.lastWait.set(c.Id, { us: stalledUs, atMs });
    const waiting = stalledUs !== undefined && waitBefore ? waitingShare(waitBefore, { us: stalledUs, atMs }) : 0;
    const load = running + waiting;
    const retention = c.Labels[LABEL.metrics];
    return {
      app: c.Labels[LABEL.app],
      dyno: c.Labels[LABEL.dyno],
      processType: c.Labels[LABEL.process],
      retention: isRetention(retention) ? retention : "none",
      atMs,
      memoryMb: memoryInUse(st.memory_stats) / 1024 / 1024,
      quotaMb: Number(c.Labels[LABEL.memoryQuota] || 0),
      load,
    };
  }
}
