/**
 * Threshold alerts as a state machine, pure: Heroku's "sensitivity" is how long a threshold must
 * be crossed before an alert fires. Here an alert fires when the metric is over its threshold in
 * every complete minute of its window, and resolves when it is back under in every minute of the
 * window: each crossing gives exactly one `fired` and one `resolved`, however long it lasts and
 * however often it is evaluated, and a metric hovering at the threshold cannot make a storm of them.
 * A minute the dyno manager did not watch (before it started) decides nothing: after a restart,
 * a firing alert stays firing until a whole watched window says otherwise.
 */
import type { WindowStats } from "./request-window";

/** What is watched; the names are the webhook's `metric`. */
export type AlertMetric = "p95-response-time" | "failed-request-rate";

/** What a one-off notice is about (not a threshold: it neither fires nor resolves). */
export type NoticeMetric = "autoscaling-max-reached";

/** One process type's thresholds (sdk/input-schemas.ts AlertThresholdsSchema, as the manager reads them). */
export interface AlertThresholds {
  p95ResponseTimeMs?: number;
  failedRequestPercent?: number;
  windowMinutes: number;
}

/** The requests of one minute; `stats` undefined when that minute was not watched. */
export interface MinuteStats {
  startMs: number;
  stats?: WindowStats;
}

/** One process type to judge: its thresholds and the last `windowMinutes` complete minutes, oldest first. */
export interface AlertInput {
  app: string;
  processType: string;
  thresholds: AlertThresholds;
  minutes: MinuteStats[];
}

/** Which alerts are firing, by `app/processType/metric`, with when they fired. */
export type AlertBook = Record<string, { firedAtMs: number }>;

export interface AlertEvent {
  /** `notice`: a one-off, such as autoscaling reaching its maximum (at most once a day). */
  state: "fired" | "resolved" | "notice";
  app: string;
  processType: string;
  metric: AlertMetric | NoticeMetric;
  /** The metric in the window's last minute: ms for response time, % for failed requests. */
  value: number;
  threshold: number;
  windowMinutes: number;
  atMs: number;
  /** A notice about autoscaling: the maximum quantity it reached. */
  max?: number;
}

export const alertKey = (app: string, processType: string, metric: AlertMetric): string => `${app}/${processType}/${metric}`;

/** The metric's value in a minute: no request is no slow request and no failure. */
export function metricValue(metric: AlertMetric, s: WindowStats): number {
  if (metric === "p95-response-time") return s.p95Ms ?? 0;
  return s.requests > 0 ? (s.failed / s.requests) * 100 : 0;
}

const THRESHOLD: Record<AlertMetric, keyof AlertThresholds> = {
  "p95-response-time": "p95ResponseTimeMs",
  "failed-request-rate": "failedRequestPercent",
};

/**
 * The events of this evaluation and the book after it. Alerts in the book that no input watches
 * any more (thresholds removed, app gone) are dropped without an event.
 */
export function planAlerts(book: AlertBook, inputs: AlertInput[], nowMs: number): { book: AlertBook; events: AlertEvent[] } {
  const next: AlertBook = {};
  const events: AlertEvent[] = [];
  for (const input of inputs) {
    for (const metric of Object.keys(THRESHOLD) as AlertMetric[]) {
      const threshold = input.thresholds[THRESHOLD[metric]];
      if (threshold === undefined) continue;
      const key = alertKey(input.app, input.processType, metric);
      const firing = book[key];
      if (firing) next[key] = firing;
      const minutes = input.minutes;
      // A window not fully watched, or shorter than asked, decides nothing.
      if (minutes.length < input.thresholds.windowMinutes || minutes.some((m) => m.stats === undefined)) continue;
      const values = minutes.map((m) => metricValue(metric, m.stats as WindowStats));
      const value = values[values.length - 1];
      const event = {
        app: input.app,
        processType: input.processType,
        metric,
        value,
        threshold,
        windowMinutes: input.thresholds.windowMinutes,
        atMs: nowMs,
      };
      if (!firing && values.every((v) => v > threshold)) {
        next[key] = { firedAtMs: nowMs };
        events.push({ state: "fired", ...event });
      } else if (firing && values.every((v) => v <= threshold)) {
        delete next[key];
        events.push({ state: "resolved", ...event });
      }
    }
  }
  return { book: next, events };
}

/**
 * The start times of the last `count` complete minutes at `nowMs`, oldest first. A minute is
 * complete `graceMs` after it ends (the router's lines arrive a little late). Minutes are
 * `minuteMs` long (60 000 / the time scale) and aligned on multiples of it.
 */
export function completeMinutes(nowMs: number, minuteMs: number, count: number, graceMs: number): number[] {
  const end = Math.floor((nowMs - graceMs) / minuteMs) * minuteMs;
  return Array.from({ length: count }, (_, i) => end - (count - i) * minuteMs);
}
