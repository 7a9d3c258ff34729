/**
 * What the dyno manager keeps across its own restarts, on its Docker volume
 * (`dynoform-dyno-manager-data` at /var/lib/dynoform): the crash history, the marks Dynoform
 * puts on a dyno before it stops it on purpose, when the engine last shut down, and autoscaling:
 * each app's policy (written by the Formation provider at `up`) and its last events; the month's
 * Eco dyno hours.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { AutoscalePolicy, AutoscaleState } from "./autoscale-plan";
import type { CrashBook } from "./crash-backoff";
import type { EcoBook, EcoReportFile } from "./eco-hours";

/** Where the manager's volume is mounted (a later metrics feature stores its data here too). */
export const DATA_DIR = process.env.DYNOFORM_DATA_DIR || "/var/lib/dynoform";
/**
 * One empty file per container Dynoform is stopping on purpose (scale down, deploy, Eco sleep),
 * named by its full id: written before the stop, so its `die` is no crash. Any other stop is one.
 */
export const STOPS_DIR = path.posix.join(DATA_DIR, "dyno-manager", "stops");
const HISTORY_FILE = path.join(DATA_DIR, "dyno-manager", "crash-history.json");
const ENGINE_STOP_FILE = path.join(DATA_DIR, "dyno-manager", "engine-stop.json");

function readJson<T>(file: string, fallback: T): T {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return fallback;
  }
}

/** Written whole to a temporary file and renamed: a crash mid-write leaves the old file. */
function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(value));
  fs.renameSync(`${file}.tmp`, file);
}

export const loadCrashBook = (): CrashBook => readJson<CrashBook>(HISTORY_FILE, {});
export const saveCrashBook = (book: CrashBook): void => writeJson(HISTORY_FILE, book);

/** When the engine last sent the manager SIGTERM (its shutdown), if not yet dealt with. */
export const loadEngineStop = (): number | undefined => readJson<{ at?: number }>(ENGINE_STOP_FILE, {}).at;
export const saveEngineStop = (at: number | undefined): void => writeJson(ENGINE_STOP_FILE, at === undefined ? {} : { at });

export function markStoppedOnPurpose(id: string): void {
  fs.mkdirSync(STOPS_DIR, { recursive: true });
  fs.writeFileSync(path.join(STOPS_DIR, id), "");
}
export const isStoppedOnPurpose = (id: string): boolean => fs.existsSync(path.join(STOPS_DIR, id));
export function forgetStop(id: string): void {
  fs.rmSync(path.join(STOPS_DIR, id), { force: true });
}
export function stopMarks(): string[] {
  try {
    return fs.readdirSync(STOPS_DIR);
  } catch {
    return [];
  }
}

/**
 * One file per autoscaled app, `<app>.json`, written by the Formation provider at every `up`
 * (dyno-manager-controller.ts writeAutoscalePolicy) and removed when autoscaling is turned off:
 * a range changed in the program applies at the next check, with no dyno recreated.
 */
export const AUTOSCALE_DIR = path.posix.join(DATA_DIR, "dyno-manager", "autoscale");
const AUTOSCALE_STATE_FILE = path.join(DATA_DIR, "dyno-manager", "autoscale-state.json");

/** An app's autoscaling, as the provider hands it to the manager. */
export interface AutoscalePolicyFile extends AutoscalePolicy {
  processType: string;
  /** While `up` changes the app's dynos, the autoscaler holds still (until then at most). */
  pausedUntilMs?: number;
}

export function loadAutoscalePolicies(): Map<string, AutoscalePolicyFile> {
  const out = new Map<string, AutoscalePolicyFile>();
  let files: string[] = [];
  try {
    files = fs.readdirSync(AUTOSCALE_DIR).filter((f) => f.endsWith(".json"));
  } catch {
    return out;
  }
  for (const f of files) {
    const p = readJson<AutoscalePolicyFile | undefined>(path.join(AUTOSCALE_DIR, f), undefined);
    if (p && Number.isFinite(p.min) && Number.isFinite(p.max) && Number.isFinite(p.p95TargetMs)) out.set(f.slice(0, -5), p);
  }
  return out;
}

/** Each autoscaled app's last event and notice: the pacing holds across the manager's restarts. */
export const loadAutoscaleState = (): Record<string, AutoscaleState> => readJson<Record<string, AutoscaleState>>(AUTOSCALE_STATE_FILE, {});
export const saveAutoscaleState = (state: Record<string, AutoscaleState>): void => writeJson(AUTOSCALE_STATE_FILE, state);

/**
 * The month's Eco dyno hours (eco-hours.ts): the book, with the pool and the Eco time it was
 * written, so `dynoform eco` reads one file (`cat` in the manager's container).
 */
export const ECO_HOURS_FILE = path.posix.join(DATA_DIR, "dyno-manager", "eco-hours.json");
export const loadEcoBook = (): EcoBook | undefined => readJson<EcoBook | undefined>(ECO_HOURS_FILE, undefined);
export const saveEcoReport = (report: EcoReportFile): void => writeJson(ECO_HOURS_FILE, report);
