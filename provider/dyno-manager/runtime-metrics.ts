/**
 * Language runtime metrics as the dyno manager keeps them: the windows the Node.js preload writes
 * (node-preload.ts), one file per process of a dyno, folded into one sample per dyno per sampling
 * round. Pure.
 *
 * A round takes the windows that closed since the previous round. Across a dyno's processes
 * (`npm start` is two: npm and the app) heap is added up (the dyno's heap in use), GC time is
 * added up, and event-loop delay takes the worst process (the one whose requests wait); the
 * mean is weighted by window length.
 */
import type { Retention } from "./metrics-plan";

/** One window of one process, as the preload writes it (bytes and milliseconds). */
export interface RuntimeWindow {
  /** When it closed, epoch ms. */
  t: number;
  /** Its length, ms. */
  ms: number;
  heapUsed: number;
  heapTotal: number;
  gcMs: number;
  gcCount: number;
  eldMean: number | null;
  eldP99: number | null;
  eldMax: number | null;
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined);
const opt = (v: unknown): number | null => num(v) ?? null;

/** A preload file's windows; anything unreadable (a foreign or damaged file) is no window. */
export function parseRuntimeFile(text: string): RuntimeWindow[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const windows = (doc as { windows?: unknown })?.windows;
  if (!Array.isArray(windows)) return [];
  return windows.flatMap((w: Record<string, unknown>) => {
    const [t, ms, heapUsed, heapTotal] = [num(w?.t), num(w?.ms), num(w?.heapUsed), num(w?.heapTotal)];
    if (t === undefined || ms === undefined || heapUsed === undefined || heapTotal === undefined) return [];
    return [
      {
        t,
        ms,
        heapUsed,
        heapTotal,
        gcMs: num(w.gcMs) ?? 0,
        gcCount: num(w.gcCount) ?? 0,
        eldMean: opt(w.eldMean),
        eldP99: opt(w.eldP99),
        eldMax: opt(w.eldMax),
      },
    ];
  });
}

/** A dyno's runtime metrics over one sampling round. */
export interface RuntimeReading {
  /** The newest window's end: the next round takes windows after it. */
  atMs: number;
  /** Seconds the round's windows cover (the longest-covered process): GC time per minute is read against it. */
  seconds: number;
  /** Node.js processes that reported. */
  processes: number;
  heapUsedMb: number;
  heapTotalMb: number;
  gcMs: number;
  gcCount: number;
  eldMeanMs: number | null;
  eldP99Ms: number | null;
  eldMaxMs: number | null;
}

const MB = 1024 * 1024;
const maxOf = (vs: Array<number | null>): number | null => {
  const present = vs.filter((v): v is number => v !== null);
  return present.length ? Math.max(...present) : null;
};

/** The windows of each process that closed after `sinceMs`, folded; undefined when none did. */
export function foldWindows(perProcess: RuntimeWindow[][], sinceMs: number): RuntimeReading | undefined {
  const fresh = perProcess.map((ws) => ws.filter((w) => w.t > sinceMs).sort((a, b) => a.t - b.t)).filter((ws) => ws.length > 0);
  if (fresh.length === 0) return undefined;
  const all = fresh.flat();
  const latest = fresh.map((ws) => ws[ws.length - 1]);
  const withDelay = all.filter((w) => w.eldMean !== null && w.ms > 0);
  const delayMs = withDelay.reduce((a, w) => a + w.ms, 0);
  return {
    atMs: Math.max(...all.map((w) => w.t)),
    seconds: Math.max(...fresh.map((ws) => ws.reduce((a, w) => a + w.ms, 0))) / 1000,
    processes: fresh.length,
    heapUsedMb: latest.reduce((a, w) => a + w.heapUsed, 0) / MB,
    heapTotalMb: latest.reduce((a, w) => a + w.heapTotal, 0) / MB,
    gcMs: all.reduce((a, w) => a + w.gcMs, 0),
    gcCount: all.reduce((a, w) => a + w.gcCount, 0),
    eldMeanMs: delayMs > 0 ? withDelay.reduce((a, w) => a + (w.eldMean ?? 0) * w.ms, 0) / delayMs : null,
    eldP99Ms: maxOf(all.map((w) => w.eldP99)),
    eldMaxMs: maxOf(all.map((w) => w.eldMax)),
  };
}

/** One dyno's runtime reading, with what the store files it under. */
export interface RuntimeSample extends RuntimeReading {
  app: string;
  dyno: string;
  processType: string;
  retention: Retention;
}

/**
 * Where the first round starts for a dyno seen for the first time: a dyno created since the
 * manager started gives all its windows; one that ran before (the manager restarted) gives those
 * from one interval before the manager's start, which its previous run had mostly stored.
 */
export function firstSince(createdMs: number, managerStartedMs: number, intervalSeconds: number): number {
  return createdMs >= managerStartedMs ? 0 : managerStartedMs - intervalSeconds * 1000;
}
