/**
 * When a crashed dyno is started again, following Heroku's Common Runtime: the first crash
 * restarts at once, then cool-offs of 20, 40, 60, 180 and 320 minutes, then every 320 minutes.
 * A good start (the dyno ran for a while) resets the count, and so does a new release. Spaces
 * restart continuously. Pure: the dyno manager keeps the book on its volume (manager-state.ts).
 */
export const COOL_OFF_MINUTES = [0, 20, 40, 60, 180, 320] as const;

/** A dyno that ran this long before crashing had a good start. */
export const GOOD_START_MS = 10 * 60 * 1000;

/** One dyno's crashes since its last good start, within one release. */
export interface CrashHistory {
  /** The release the crashes belong to: a crash of another release starts the count again. */
  release?: string;
  /** Crashes since the last good start. */
  crashes: number;
  /** The crash last counted: its container and when it is due to start again (survives a manager restart). */
  last?: { container: string; restartAtMs: number };
}

/** Every dyno's history, keyed by `<app>/<dyno>` (`api/web.1`): what the manager keeps on disk. */
export type CrashBook = Record<string, CrashHistory>;

/** A dyno that stopped while nobody asked it to. */
export interface DynoCrash {
  app: string;
  /** `web.1`. */
  dyno: string;
  release: string;
  /** How long it ran before it stopped. */
  ranForMs: number;
  inSpace?: boolean;
  /** The stopped container's id: the same crash seen again (after a manager restart) counts once. */
  container: string;
  /** When the manager deals with it (now): the delay runs from here. */
  atMs: number;
}

/**
 * Delay before restarting a dyno that just crashed after running `ranForMs`, and the history to
 * keep. `scale` shrinks the minutes (tests use a tiny one; 1 is Heroku's real schedule).
 */
export function nextRestart(
  history: CrashHistory,
  ranForMs: number,
  opts: { inSpace?: boolean; scale?: number } = {},
): { delayMs: number; history: CrashHistory } {
  const crashes = ranForMs >= GOOD_START_MS ? 1 : history.crashes + 1;
  const kept = { ...(history.release !== undefined ? { release: history.release } : {}), crashes };
  if (opts.inSpace) return { delayMs: 0, history: kept };
  const minutes = COOL_OFF_MINUTES[Math.min(crashes - 1, COOL_OFF_MINUTES.length - 1)];
  return { delayMs: minutes * 60_000 * (opts.scale ?? 1), history: kept };
}

/** The book's key for one dyno of one app. */
export const crashKey = (app: string, dyno: string) => `${app}/${dyno}`;

/**
 * Records a crash: the dyno's count goes on within its release and starts again on a new one
 * (Heroku resets the back-off on a release). Returns the delay and the new book.
 */
export function recordCrash(
  book: CrashBook,
  crash: DynoCrash,
  scale = 1,
): { delayMs: number; crashes: number; counted: boolean; book: CrashBook } {
  const key = crashKey(crash.app, crash.dyno);
  const seen = book[key];
  if (seen?.last?.container === crash.container) {
    return { delayMs: Math.max(0, seen.last.restartAtMs - crash.atMs), crashes: seen.crashes, counted: false, book };
  }
  const before = seen?.release === crash.release ? seen : { release: crash.release, crashes: 0 };
  const next = nextRestart(before, crash.ranForMs, { inSpace: crash.inSpace, scale });
  const history: CrashHistory = {
    release: crash.release,
    crashes: next.history.crashes,
    last: { container: crash.container, restartAtMs: crash.atMs + next.delayMs },
  };
  return { delayMs: next.delayMs, crashes: history.crashes, counted: true, book: { ...book, [key]: history } };
}

/** Drops the history of dynos that no longer exist (scaled down, app destroyed). */
export function forgetGone(book: CrashBook, existing: Iterable<string>): CrashBook {
  const keep = new Set(existing);
  return Object.fromEntries(Object.entries(book).filter(([k]) => keep.has(k)));
}

/** Docker gives a container this long to stop when the engine shuts down (the dyno's StopTimeout). */
const ENGINE_STOP_WINDOW_MS = 45_000;

/**
 * Whether a dyno's exit came from the Docker Engine shutting down, not from a crash: the manager
 * noted when the engine sent it SIGTERM (`engineStopAtMs`), and the dyno exited with everything
 * else, from a little before that (signals reach containers in parallel) to the end of its stop
 * grace. Such a dyno is started again at once and its crash count stays.
 */
export function stoppedWithEngine(finishedAtMs: number, engineStopAtMs: number | undefined): boolean {
  if (engineStopAtMs === undefined || !Number.isFinite(finishedAtMs)) return false;
  return finishedAtMs >= engineStopAtMs - 5_000 && finishedAtMs <= engineStopAtMs + ENGINE_STOP_WINDOW_MS;
}
