/**
 * The alert notifier: a small daemon in its own container (the dyno manager's image, another
 * entry point), the one part of Dynoform's machinery that may reach out. It POSTs the alerts the
 * dyno manager leaves in the outbox of the alerts volume (alert-store.ts) to the app's webhook,
 * retries a failing webhook with back-off (webhook-backoff.ts), and gives up with a log line.
 *
 * Why a container of its own: the dyno manager holds the Docker socket and has no network, so
 * nothing can reach it and a compromised webhook receiver or a slow one cannot touch it. The
 * notifier is the opposite: a plain bridge network with egress, no Docker socket, and only the
 * alerts volume. An app's alerts are sent in order (a `resolved` never overtakes its `fired`);
 * apps are sent side by side, each pass starting only apps not being sent already, so one slow
 * webhook delays only its own app.
 *
 * Its stdout carries lines for `dynoform logs` (manager-log.ts format), webhook URLs masked.
 */
import * as http from "node:http";
import * as https from "node:https";
import { alertPayload, maskUrl, scrubUrl, type AlertPayload } from "./alert-payload";
import { ALERTS_DIR, loadAlertConfig, outbox, removeFromOutbox, updateOutbox, type OutboxItem } from "./alert-store";
import { formatManagerLogLine } from "./manager-log";
import { retryDelayMs } from "./webhook-backoff";

/** The result of one POST: `ok` for a 2xx answer; `detail` says what happened, URL-free. */
export interface Delivery {
  ok: boolean;
  detail: string;
}

export type Post = (url: string, payload: AlertPayload) => Promise<Delivery>;

/** How long one POST may take: a hung receiver is a failure to retry, not a stuck notifier. */
const POST_TIMEOUT_MS = 10_000;

/** One JSON POST. Never throws: every failure is a Delivery with `ok: false`. */
export const postJson: Post = (url, payload) =>
  new Promise((resolve) => {
    const body = JSON.stringify(payload);
    const done = (d: Delivery) => resolve({ ok: d.ok, detail: scrubUrl(d.detail, url) });
    try {
      const client = url.startsWith("https:") ? https : http;
      const req = client.request(
        url,
        {
          method: "POST",
          timeout: POST_TIMEOUT_MS,
          // A fresh connection per alert: they are rare, and a kept one may have been closed meanwhile.
          agent: false,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "user-agent": "dynoform-alerts" },
        },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          res.on("end", () => done({ ok: status >= 200 && status < 300, detail: `HTTP ${status}` }));
          res.on("error", (e) => done({ ok: false, detail: e.message }));
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${POST_TIMEOUT_MS / 1000} s`)));
      req.on("error", (e) => done({ ok: false, detail: e.message }));
      req.end(body);
    } catch (e) {
      done({ ok: false, detail: (e as Error).message });
    }
  });

export interface NotifierOptions {
  dir?: string;
  timeScale?: number;
  post?: Post;
  /** A line of an app's log. */
  appLog?: (app: string, source: string, text: string) => void;
  random?: () => number;
  /** Apps being sent now (by an earlier pass still waiting on a webhook): skipped, and kept up to date. */
  busy?: Set<string>;
}

const printAppLog = (app: string, source: string, text: string) =>
  process.stdout.write(`${formatManagerLogLine({ app, source, time: new Date().toISOString(), text })}\n`);

/** One pass over the outbox at `nowMs`: sends what is due, reschedules failures, drops what is done. */
export async function drainOutbox(nowMs: number, opts: NotifierOptions = {}): Promise<void> {
  const { dir = ALERTS_DIR, timeScale = 1, post = postJson, appLog = printAppLog, random = Math.random, busy = new Set<string>() } = opts;
  const byApp = new Map<string, Array<{ name: string; item: OutboxItem }>>();
  for (const entry of outbox(dir)) byApp.set(entry.item.event.app, [...(byApp.get(entry.item.event.app) ?? []), entry]);
  const sendApp = async (app: string, entries: Array<{ name: string; item: OutboxItem }>) => {
    for (const { name, item } of entries) {
      // In order: an alert waiting for its retry holds back the app's later ones.
      if (item.nextAtMs > nowMs) return;
      const e = item.event;
      const source = `heroku[${e.processType}]`;
      const config = loadAlertConfig(app, dir);
      if (!config?.webhookUrl) {
        removeFromOutbox(name, dir);
        continue;
      }
      const url = config.webhookUrl;
      const attempt = item.attempts + 1;
      const payload = alertPayload(e, config.dashboardUrl);
      const sent = await post(url, payload);
      const result = { ...sent, detail: scrubUrl(sent.detail, url) };
      if (result.ok) {
        removeFromOutbox(name, dir);
        appLog(app, source, `Alert webhook delivered to ${maskUrl(url)} (${payload.event} ${e.metric}, attempt ${attempt})`);
        continue;
      }
      const delay = retryDelayMs(attempt, timeScale, random());
      if (delay === undefined) {
        removeFromOutbox(name, dir);
        appLog(app, source, `Alert webhook to ${maskUrl(url)} failed (${result.detail}); gave up after ${attempt} attempts`);
        continue;
      }
      updateOutbox(name, { ...item, attempts: attempt, nextAtMs: nowMs + delay }, dir);
      appLog(
        app,
        source,
        `Alert webhook to ${maskUrl(url)} failed (${result.detail}); attempt ${attempt}, next in ${(delay / 1000).toFixed(delay < 10_000 ? 1 : 0)} s`,
      );
      return;
    }
  };
  await Promise.all(
    [...byApp]
      .filter(([app]) => !busy.has(app))
      .map(async ([app, entries]) => {
        busy.add(app);
        try {
          await sendApp(app, entries);
        } finally {
          busy.delete(app);
        }
      }),
  );
}

async function main(): Promise<void> {
  const timeScale = Number(process.env.DYNOFORM_TIME_SCALE || 1) || 1;
  // Looks for new alerts often (a file listing is cheap): a second, a tenth of one in scaled tests.
  const everyMs = Math.max(100, Math.min(1000, 60_000 / timeScale / 10));
  process.stdout.write(`${new Date().toISOString()} alert notifier started (time scale ${timeScale})\n`);
  process.on("SIGTERM", () => process.exit(0));
  // Each pass starts the apps not being sent already, without waiting: a webhook that hangs for
  // its 10 s holds up only its own app's alerts.
  const busy = new Set<string>();
  setInterval(() => {
    drainOutbox(Date.now(), { timeScale, busy }).catch((e) =>
      process.stdout.write(`${new Date().toISOString()} outbox: ${(e as Error).message}\n`),
    );
  }, everyMs);
}

if (require.main === module) main();
