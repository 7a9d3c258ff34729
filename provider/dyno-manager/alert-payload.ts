/**
 * What an alert says: the JSON a webhook receives, and the line `dynoform logs` shows (source
 * `heroku[<process type>]`, so `--dyno web` and `--type web` keep it). Pure. Webhook URLs often
 * carry a token: they appear in lines and messages only through `maskUrl`.
 */
import type { AlertEvent, AlertMetric, NoticeMetric } from "./alert-plan";

/** The body POSTed to the webhook. */
export interface AlertPayload {
  /** `alert.fired`, `alert.resolved`, or a notice's (`autoscaling.max-reached`). */
  event: string;
  state: AlertEvent["state"];
  app: string;
  processType: string;
  metric: AlertMetric | NoticeMetric;
  /** The metric in the window's last minute (one decimal). */
  value: number;
  threshold: number;
  unit: "ms" | "%";
  windowMinutes: number;
  /** RFC 3339. */
  at: string;
  /** The metrics page of the app's process type. */
  metricsUrl: string;
  /** The log line's words, for receivers that post text (chat). */
  text: string;
}

const UNIT: Record<AlertMetric | NoticeMetric, "ms" | "%"> = {
  "p95-response-time": "ms",
  "failed-request-rate": "%",
  "autoscaling-max-reached": "ms",
};
const WORDS: Record<AlertMetric | NoticeMetric, string> = {
  "p95-response-time": "p95 response time",
  "failed-request-rate": "failed requests",
  "autoscaling-max-reached": "p95 response time",
};

const round1 = (n: number) => Math.round(n * 10) / 10;
const minutes = (n: number) => `${n} minute${n === 1 ? "" : "s"}`;

/** `Alert fired: web p95 response time 1200 ms, above 500 ms in every minute of 1 minute`. */
export function alertText(e: AlertEvent): string {
  const unit = UNIT[e.metric] === "ms" ? " ms" : "%";
  const [value, threshold] = [`${round1(e.value)}${unit}`, `${e.threshold}${unit}`];
  if (e.state === "notice")
    return `Autoscaling reached its maximum: ${e.processType} at ${e.max ?? "its maximum"} dynos, ${WORDS[e.metric]} ${value} against a target of ${threshold}`;
  return e.state === "fired"
    ? `Alert fired: ${e.processType} ${WORDS[e.metric]} ${value}, above ${threshold} in every minute of ${minutes(e.windowMinutes)}`
    : `Alert resolved: ${e.processType} ${WORDS[e.metric]} ${value}, back under ${threshold} for ${minutes(e.windowMinutes)}`;
}

/** The page of the app's process type on the dashboard at `dashboardUrl`. */
export function metricsPageUrl(dashboardUrl: string, app: string, processType: string): string {
  return `${dashboardUrl.replace(/\/+$/, "")}/?app=${encodeURIComponent(app)}&type=${encodeURIComponent(processType)}`;
}

export function alertPayload(e: AlertEvent, dashboardUrl: string): AlertPayload {
  return {
    event: e.state === "notice" ? `autoscaling.${e.metric.replace(/^autoscaling-/, "")}` : `alert.${e.state}`,
    state: e.state,
    app: e.app,
    processType: e.processType,
    metric: e.metric,
    value: round1(e.value),
    threshold: e.threshold,
    unit: UNIT[e.metric],
    windowMinutes: e.windowMinutes,
    at: new Date(e.atMs).toISOString(),
    metricsUrl: metricsPageUrl(dashboardUrl, e.app, e.processType),
    text: alertText(e),
  };
}

/** The URL with its credentials, path and query hidden: `https://hooks.example.com/…`. */
export function maskUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(?:[^@/?#]*@)?([^/?#]*)/i.exec(url);
  return m ? `${m[1]}${m[2]}/…` : "(a URL, hidden)";
}

/** A message with every occurrence of the URL (an error may quote it) replaced by its masked form. */
export function scrubUrl(message: string, url: string): string {
  return url ? message.split(url).join(maskUrl(url)) : message;
}
