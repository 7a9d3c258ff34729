/**
 * The alerts' own volume (`dynoform-alerts`, at /var/lib/dynoform-alerts), shared by the dyno
 * manager and the alert notifier and by nothing else, so the notifier, which has a network, sees
 * no crash history or metrics:
 *
 * - `apps/<app>.json`: an app's thresholds, webhook URL (secret: root-only file) and dashboard
 *   URL, written by the Formation provider, removed with the Formation;
 * - `outbox/<time>-<n>.json`: alerts to POST, written by the manager, sent and removed by the
 *   notifier; retries are counted in the file, so they survive restarts of either;
 * - `book.json`: the alerts firing now, so a manager restart neither repeats nor forgets them.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { AlertBook, AlertEvent, AlertThresholds } from "./alert-plan";

/** Where the alerts volume is mounted in the manager and the notifier. */
export const ALERTS_DIR = "/var/lib/dynoform-alerts";
/** The folder of app configs, relative to the volume. */
export const ALERT_APPS = "apps";

/** An app's alerts, as the Formation provider writes them. */
export interface AlertConfig {
  app: string;
  /** Process type → thresholds. */
  alerts: Record<string, AlertThresholds>;
  /** "" for none (log lines only). */
  webhookUrl: string;
  dashboardUrl: string;
}

/** An alert waiting to be POSTed. */
export interface OutboxItem {
  event: AlertEvent;
  /** Failed attempts so far. */
  attempts: number;
  /** Not before this (epoch ms). */
  nextAtMs: number;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Written whole to a temporary file and renamed: a reader never sees half a file. */
function writeJson(file: string, value: unknown, mode = 0o600): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(value), { mode });
  fs.renameSync(`${file}.tmp`, file);
}

const listJson = (dir: string): string[] => {
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort();
  } catch {
    return [];
  }
};

/** The file name of an app's config within the volume. */
export const alertConfigFile = (app: string): string => `${app}.json`;

export function loadAlertConfigs(dir = ALERTS_DIR): AlertConfig[] {
  return listJson(path.join(dir, ALERT_APPS))
    .map((f) => readJson<AlertConfig>(path.join(dir, ALERT_APPS, f)))
    .filter((c): c is AlertConfig => c !== undefined && typeof c.app === "string" && typeof c.alerts === "object");
}

export const loadAlertConfig = (app: string, dir = ALERTS_DIR): AlertConfig | undefined =>
  readJson<AlertConfig>(path.join(dir, ALERT_APPS, alertConfigFile(app)));

export const loadAlertBook = (dir = ALERTS_DIR): AlertBook => readJson<AlertBook>(path.join(dir, "book.json")) ?? {};
export const saveAlertBook = (book: AlertBook, dir = ALERTS_DIR): void => writeJson(path.join(dir, "book.json"), book);

let sequence = 0;

/** Puts an alert in the outbox, due at once. */
export function enqueueAlert(event: AlertEvent, dir = ALERTS_DIR): string {
  const name = `${String(event.atMs).padStart(15, "0")}-${String(sequence++ % 1e6).padStart(6, "0")}.json`;
  writeJson(path.join(dir, "outbox", name), { event, attempts: 0, nextAtMs: event.atMs } satisfies OutboxItem);
  return name;
}

/** The outbox's items, oldest first (the names sort by time). */
export function outbox(dir = ALERTS_DIR): Array<{ name: string; item: OutboxItem }> {
  return listJson(path.join(dir, "outbox"))
    .map((name) => ({ name, item: readJson<OutboxItem>(path.join(dir, "outbox", name)) }))
    .filter((e): e is { name: string; item: OutboxItem } => e.item !== undefined);
}

export const updateOutbox = (name: string, item: OutboxItem, dir = ALERTS_DIR): void => writeJson(path.join(dir, "outbox", name), item);
export function removeFromOutbox(name: string, dir = ALERTS_DIR): void {
  fs.rmSync(path.join(dir, "outbox", name), { force: true });
}
