/**
 * The CPU-waiting part of dyno load, from the kernel's pressure stall information (PSI): each
 * cgroup v2 group's `cpu.pressure` counts, in its `some total=` line, the microseconds during
 * which at least one of its tasks was runnable but waiting for a CPU. Over a sampling interval,
 * that time divided by the interval is the share of it spent waiting; Heroku's load counts waiting
 * tasks as well as running ones, so the sampler adds this share to the running part (README
 * "Metrics": it is exact while at most one task waits at a time, and a lower bound beyond).
 *
 * The engine's stats API has no run-queue numbers, so the manager reads the host's cgroup tree,
 * mounted read-only at {@link HOST_CGROUP}. A container's group is in one of a few places,
 * depending on the cgroup layout and the engine's cgroup driver; where none has a
 * `cpu.pressure` (cgroup v1 alone, or a kernel without PSI), load is the running part only.
 */
import * as fs from "node:fs";

/** Where the dyno manager's container sees the host's /sys/fs/cgroup. */
export const HOST_CGROUP = "/host/sys/fs/cgroup";

/**
 * Where a container's `cpu.pressure` may be: cgroup v2 with the cgroupfs or the systemd driver,
 * or the v2 part (`unified`) of a hybrid layout, where Docker's v1 driver places it too. Pure.
 */
export function pressurePaths(containerId: string, root = HOST_CGROUP): string[] {
  return ["unified/", ""].flatMap((v2) => [
    `${root}/${v2}docker/${containerId}/cpu.pressure`,
    `${root}/${v2}system.slice/docker-${containerId}.scope/cpu.pressure`,
  ]);
}

/** The `some total=` microseconds of a `cpu.pressure` file; undefined when it has none. Pure. */
export function someTotalUs(text: string): number | undefined {
  const m = /^some .*\btotal=(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Average tasks waiting over an interval: stalled microseconds over elapsed milliseconds. Pure. */
export function waitingShare(before: { us: number; atMs: number }, now: { us: number; atMs: number }): number {
  const elapsedUs = (now.atMs - before.atMs) * 1000;
  if (!(elapsedUs > 0) || now.us < before.us) return 0;
  return (now.us - before.us) / elapsedUs;
}

/** Remembers where each container's file was found (or that none was). */
export class CpuPressure {
  private readonly found = new Map<string, string | null>();

  constructor(private readonly root = HOST_CGROUP) {}

  /** The container's stalled microseconds so far; undefined where the host gives none. */
  read(containerId: string): number | undefined {
    let file = this.found.get(containerId);
    if (file === undefined) {
      file = pressurePaths(containerId, this.root).find((p) => fs.existsSync(p)) ?? null;
      this.found.set(containerId, file);
    }
    if (file === null) return undefined;
    try {
      return someTotalUs(fs.readFileSync(file, "utf8"));
    } catch {
      return undefined;
    }
  }

  /** Forgets containers no longer running. */
  keep(live: Set<string>): void {
    for (const id of [...this.found.keys()]) if (!live.has(id)) this.found.delete(id);
  }
}
