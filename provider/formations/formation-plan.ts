/**
 * The pure core of a formation change: desired process types + the dynos Docker shows → the
 * ordered actions that make them match. No Docker here, so every rule is unit-tested.
 */

/** What one process type should be running. */
export interface DesiredProcess {
  quantity: number;
  size: string;
}

export interface DesiredFormation {
  /** Release label every dyno must carry (`v3`); a different one means the dyno is outdated. */
  release: string;
  processes: Record<string, DesiredProcess>;
}

/** A dyno as observed in Docker. */
export interface ObservedDyno {
  id: string;
  /** The container's name, `api.web.2` (`api.web.2.next` while a preboot runs). */
  name?: string;
  processType: string;
  /** 2 for `web.2`. */
  index: number;
  release: string;
  size: string;
  running: boolean;
}

export type FormationAction =
  | { kind: "stop"; dyno: ObservedDyno; reason: "scale-down" | "outdated" | "not-running" | "removed-type" | "duplicate" }
  | { kind: "start"; processType: string; index: number; size: string };

export function dynoName(processType: string, index: number): string {
  return `${processType}.${index}`;
}

/**
 * Without preboot, Heroku stops old dynos before new ones start, so every stop comes first.
 * Scaling down stops the highest numbers first (`web.5` before `web.4`), and new dynos fill the
 * lowest free numbers, so a formation of N always holds `<type>.1` … `<type>.N`.
 */
export function planFormation(desired: DesiredFormation, observed: ObservedDyno[]): FormationAction[] {
  const stops: FormationAction[] = [];
  const starts: FormationAction[] = [];
  const byType = new Map<string, ObservedDyno[]>();
  for (const d of observed) byType.set(d.processType, [...(byType.get(d.processType) ?? []), d]);

  for (const [type, dynos] of byType) {
    if (!(type in desired.processes)) {
      for (const d of sortHighFirst(dynos)) stops.push({ kind: "stop", dyno: d, reason: "removed-type" });
    }
  }
  for (const [type, want] of Object.entries(desired.processes)) {
    const dynos = sortHighFirst(byType.get(type) ?? []);
    const kept = new Set<number>();
    for (const d of dynos) {
      if (d.index < 1 || d.index > want.quantity) stops.push({ kind: "stop", dyno: d, reason: "scale-down" });
      else if (kept.has(d.index)) stops.push({ kind: "stop", dyno: d, reason: "duplicate" });
      else if (d.release !== desired.release || d.size !== want.size) stops.push({ kind: "stop", dyno: d, reason: "outdated" });
      else if (!d.running) stops.push({ kind: "stop", dyno: d, reason: "not-running" });
      else kept.add(d.index);
    }
    for (let i = 1; i <= want.quantity; i++) {
      if (!kept.has(i)) starts.push({ kind: "start", processType: type, index: i, size: want.size });
    }
  }
  return [...stops, ...starts];
}

function sortHighFirst(dynos: ObservedDyno[]): ObservedDyno[] {
  return [...dynos].sort((a, b) => b.index - a.index);
}

/**
 * Quantity of dynos per process type, as `refresh` reports the formation: every dyno number of the
 * current release that exists, up or not. A crashed one is still in the formation (the dyno
 * manager restarts it after its cool-off, and `ps` says crashed), an Eco one asleep too; only a
 * dyno removed by hand is drift. A dyno of a newer release counts too: `dynoform rollback` swaps
 * the dynos to a release made outside the program, which is drift of the App's release (the App
 * names it), not of the quantity; a preboot's `web.1.next` beside `web.1` is one dyno number.
 */
export function observedQuantities(observed: ObservedDyno[], release: string): Record<string, number> {
  const current = releaseNumberOf(release);
  const numbers = new Map<string, Set<number>>();
  for (const d of observed) {
    const seen = numbers.get(d.processType) ?? new Set<number>();
    numbers.set(d.processType, seen);
    if (d.release === release || releaseNumberOf(d.release) > current) seen.add(d.index);
  }
  return Object.fromEntries([...numbers].map(([type, seen]) => [type, seen.size]));
}

/** 3 for `v3`; 0 for what is no release. */
const releaseNumberOf = (release: string) => (/^v\d+$/.test(release) ? Number(release.slice(1)) : 0);

/**
 * A preboot deploy of the web process type: every web dyno of the new release starts beside the
 * old ones (under a temporary name), and once all of them accept connections the router switches
 * and the old ones retire. Used when preboot is on and a running web dyno is outdated (another
 * release or size); plain scaling needs no preboot.
 */
export interface PrebootPlan {
  /** Web dynos to start, `web.1` … `web.N` of the new release. */
  starts: Array<{ index: number; size: string }>;
  /** Every web dyno that runs now: they stop after the switch. */
  retire: ObservedDyno[];
  /** The other process types, converged as without preboot (Heroku preboots web only). */
  others: FormationAction[];
}

export function planPreboot(desired: DesiredFormation, observed: ObservedDyno[], preboot: boolean): PrebootPlan | undefined {
  const web = desired.processes.web;
  if (!preboot || !web) return undefined;
  const oldWeb = observed.filter((d) => d.processType === "web");
  const outdated = oldWeb.some((d) => d.running && (d.release !== desired.release || d.size !== web.size));
  if (!outdated || web.quantity === 0) return undefined;
  const { web: _web, ...otherProcesses } = desired.processes;
  return {
    starts: Array.from({ length: web.quantity }, (_, i) => ({ index: i + 1, size: web.size })),
    retire: sortHighFirst(oldWeb),
    others: planFormation(
      { release: desired.release, processes: otherProcesses },
      observed.filter((d) => d.processType !== "web"),
    ),
  };
}

/** A process type as the program gives it, autoscaling included (web on Performance, Private, Shield). */
export interface ProcessWithAutoscaling extends DesiredProcess {
  autoscaling?: { min: number; max: number; p95ResponseTimeMs?: number };
}

/**
 * The quantity `up` runs for a process type. Without autoscaling, the program's. With it, the
 * dyno manager owns the quantity: the one running now is kept, pulled into `[min, max]` at once
 * when the range changed; with none running (the first `up`), the program's, in the range.
 */
export function quantityToRun(p: ProcessWithAutoscaling, running: number): number {
  if (!p.autoscaling) return p.quantity;
  const min = Math.max(1, p.autoscaling.min);
  const max = Math.max(min, p.autoscaling.max);
  return Math.min(max, Math.max(min, running > 0 ? running : p.quantity));
}

/**
 * Whether the program changed the process types, as `preview` sees it. An autoscaled quantity is
 * the dyno manager's: the one in the state (the running one, after refresh or up) is no change
 * while it lies within the program's range, whatever the program's `quantity` says. Anything
 * else (a size, the range itself, a quantity outside it) is a change.
 */
export function processesChanged(olds: Record<string, ProcessWithAutoscaling>, news: Record<string, ProcessWithAutoscaling>): boolean {
  const types = new Set([...Object.keys(olds ?? {}), ...Object.keys(news ?? {})]);
  for (const type of types) {
    const [o, n] = [olds?.[type], news?.[type]];
    if (!o || !n) return true;
    if (o.size !== n.size || JSON.stringify(o.autoscaling ?? null) !== JSON.stringify(n.autoscaling ?? null)) return true;
    if (n.autoscaling && typeof o.quantity === "number") {
      if (quantityToRun(n, o.quantity) !== o.quantity) return true;
    } else if (o.quantity !== n.quantity) return true;
  }
  return false;
}

/** Web dynos that count as running for autoscaling: every running web dyno under its plain number. */
export function runningQuantity(observed: ObservedDyno[], processType: string): number {
  return new Set(observed.filter((d) => d.processType === processType && d.running && d.index >= 1).map((d) => d.index)).size;
}
