/**
 * Eco dyno hours, the pure part. Heroku gives an account 1,000 Eco hours a calendar month, shared
 * by all its Eco dynos: counted while they run (to the second), not while they sleep; once the
 * pool is used up every Eco dyno sleeps until the month turns, and the router answers H82. Here
 * the account is the engine: every Eco dyno on it draws from one pool. The dyno manager feeds
 * this what it saw (eco-hours-controller.ts) and keeps the book on its volume.
 *
 * Time is the engine's Eco clock: real time, or `DYNOFORM_TIME_SCALE` times faster from an anchor
 * kept in the book (so a manager restart neither loses nor repeats hours), optionally started at
 * `DYNOFORM_ECO_CLOCK_START` (tests put it near a month's end to see the pool reset); back to the
 * real date when those settings are unset again.
 */

/** Heroku's pool: Eco hours a month per account. */
export const ECO_POOL_HOURS = 1000;
export const HOUR_MS = 3_600_000;

/** The machine settings Eco hours read (sdk/settings.ts ENV). */
export const ECO_ENV = {
  poolHours: "DYNOFORM_ECO_HOURS",
  clockStart: "DYNOFORM_ECO_CLOCK_START",
  timeScale: "DYNOFORM_TIME_SCALE",
} as const;

export interface EcoSettings {
  /** Hours in the monthly pool (default Heroku's 1,000). */
  poolHours: number;
  /** How many times faster than real time the Eco clock runs (default 1). */
  timeScale: number;
  /** Where the Eco clock starts (an ISO date), "" for now. */
  clockStart: string;
}

/** Reads and checks the settings; an invalid one is an error naming the variable and the fix. */
export function ecoSettings(env: Record<string, string | undefined>): EcoSettings {
  const pool = env[ECO_ENV.poolHours] ?? "";
  const scale = env[ECO_ENV.timeScale] ?? "";
  const start = (env[ECO_ENV.clockStart] ?? "").trim();
  const poolHours = pool.trim() === "" ? ECO_POOL_HOURS : Number(pool);
  if (!Number.isFinite(poolHours) || poolHours <= 0) {
    throw new Error(
      `${ECO_ENV.poolHours}="${pool}" is not a number of hours above 0, so the Eco dyno hour pool has no size. Fix: set it to a positive number such as ${ECO_POOL_HOURS} (Heroku's pool; fractions like 0.5 are allowed), or unset it`,
    );
  }
  const timeScale = scale.trim() === "" ? 1 : Number(scale);
  if (!Number.isFinite(timeScale) || timeScale <= 0) {
    throw new Error(
      `${ECO_ENV.timeScale}="${scale}" is not a positive number, so the dyno manager's clock cannot run. Fix: set it to how many times faster than real time Heroku's timings should pass (1 is real time; tests use 60), or unset it`,
    );
  }
  if (start !== "" && (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(start) || Number.isNaN(Date.parse(start)))) {
    throw new Error(
      `${ECO_ENV.clockStart}="${start}" is not an ISO date, so the Eco clock has no start. Fix: set it to a date such as 2030-01-31T23:58:00Z (tests: a month's end, to see the pool reset), or unset it for the real date`,
    );
  }
  return { poolHours, timeScale, clockStart: start };
}

/** The Eco clock: Eco time ran `scale` times faster than real time since the anchor. */
export interface EcoClock {
  realMs: number;
  ecoMs: number;
  scale: number;
  /** The `DYNOFORM_ECO_CLOCK_START` the anchor was made for ("" for none). */
  start: string;
}

/** What the dyno manager keeps of the month (on its volume, `eco-hours.json`). */
export interface EcoBook {
  /** The calendar month being counted, UTC on the Eco clock: `2030-01`. */
  month: string;
  /** Eco milliseconds each app's Eco dynos ran this month (two dynos for an hour: two hours). */
  usedMs: Record<string, number>;
  /** Real time up to which running dynos were counted. */
  countedToMs: number;
  clock: EcoClock;
}

export const ecoNow = (c: EcoClock, realMs: number): number => c.ecoMs + (realMs - c.realMs) * c.scale;
export const realAt = (c: EcoClock, ecoMs: number): number => c.realMs + (ecoMs - c.ecoMs) / c.scale;
export const monthOf = (ecoMs: number): string => new Date(ecoMs).toISOString().slice(0, 7);
export function monthStartMs(ecoMs: number): number {
  const d = new Date(ecoMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}
export function nextMonthStartMs(ecoMs: number): number {
  const d = new Date(ecoMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/**
 * The book the manager works with at start: the stored one, or a new one when nothing was
 * stored. When the time scale or the clock start changed, the clock starts again from the clock
 * start (or the real date): a test's fast clock does not leave the engine's months out of step.
 */
export function openBook(stored: EcoBook | undefined, s: EcoSettings, nowMs: number): EcoBook {
  const clock = { realMs: nowMs, ecoMs: s.clockStart ? Date.parse(s.clockStart) : nowMs, scale: s.timeScale, start: s.clockStart };
  if (!stored?.clock || typeof stored.month !== "string") return { month: monthOf(clock.ecoMs), usedMs: {}, countedToMs: nowMs, clock };
  if (stored.clock.start !== s.clockStart || stored.clock.scale !== s.timeScale) return { ...stored, clock };
  return stored;
}

/** An Eco dyno (or an Eco app's one-off dyno) as the manager saw it. */
export interface EcoDyno {
  app: string;
  /** When its container last started (real ms). */
  startedAtMs: number;
  /** When it stopped (real ms); undefined while it runs. */
  finishedAtMs?: number;
}

/**
 * Counts the dynos' running time since the last count into the book. When the Eco month turned
 * meanwhile, the pool starts over and only the time after the turn is counted.
 */
export function countEcoHours(book: EcoBook, dynos: EcoDyno[], nowMs: number): { book: EcoBook; turned: boolean } {
  const now = ecoNow(book.clock, nowMs);
  const turned = monthOf(now) !== book.month;
  const fromMs = turned ? Math.max(book.countedToMs, realAt(book.clock, monthStartMs(now))) : book.countedToMs;
  const usedMs: Record<string, number> = turned ? {} : { ...book.usedMs };
  for (const d of dynos) {
    const end = Math.min(d.finishedAtMs ?? nowMs, nowMs);
    const start = Math.max(d.startedAtMs, fromMs);
    if (end > start) usedMs[d.app] = (usedMs[d.app] ?? 0) + (end - start) * book.clock.scale;
  }
  return { book: { ...book, month: monthOf(now), usedMs, countedToMs: Math.max(nowMs, book.countedToMs) }, turned };
}

export const usedMs = (book: EcoBook): number => Object.values(book.usedMs).reduce((a, b) => a + b, 0);

/** Whether the month's pool is used up: every Eco dyno sleeps, the router answers H82. */
export const poolEmpty = (book: EcoBook, poolHours: number): boolean => usedMs(book) >= poolHours * HOUR_MS;

/** What the manager leaves on its volume for `dynoform eco`: the book, the pool and the Eco time it was written. */
export interface EcoReportFile extends EcoBook {
  poolHours: number;
  writtenAtEcoMs: number;
}

/** `799h 43m`, as Heroku's CLI shows dyno hours. */
export function formatHours(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`;
}

/** When the pool of a report resets (the next Eco month's start), as ISO text. */
export const resetsAt = (r: EcoReportFile): string => new Date(nextMonthStartMs(r.writtenAtEcoMs)).toISOString().replace(".000Z", "Z");

const percent = (part: number, whole: number) => `${Math.round((100 * part) / whole)}%`;

/**
 * `dynoform eco`'s text: the pool's use this month, and per app (or one app, in the words of
 * Heroku's `ps` for Eco apps).
 */
export function renderEcoReport(r: EcoReportFile, app?: string): string {
  const pool = r.poolHours * HOUR_MS;
  const used = usedMs(r);
  const left = Math.max(0, pool - used);
  const resets = resetsAt(r);
  const lines: string[] = [];
  if (app !== undefined) {
    lines.push(
      `Eco dyno hours quota remaining this month: ${formatHours(left)} (${percent(left, pool)})`,
      `Eco dyno usage for this app: ${formatHours(r.usedMs[app] ?? 0)} (${percent(r.usedMs[app] ?? 0, pool)})`,
    );
  } else {
    lines.push(
      `Eco dyno hours, ${r.month} (pool ${formatHours(pool)} shared by every Eco app on this engine; resets ${resets}):`,
      `  used ${formatHours(used)} (${percent(Math.min(used, pool), pool)}), left ${formatHours(left)} (${percent(left, pool)})`,
    );
    const apps = Object.entries(r.usedMs).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const width = Math.max(0, ...apps.map(([a]) => a.length));
    for (const [a, ms] of apps) lines.push(`  ${a.padEnd(width)}  ${formatHours(ms)}`);
  }
  if (used >= pool) lines.push(`The pool is used up: Eco apps sleep and the router answers H82 until ${resets}.`);
  return `${lines.join("\n")}\n`;
}
