/**
 * What the dyno manager keeps across its own restarts, on its Docker volume
 * (`dynoform-dyno-manager-data` at /var/lib/dynoform): the crash history, the marks Dynoform
 * puts on a dyno before it stops it on purpose, and when the engine last shut down.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CrashBook } from "./crash-backoff";

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
