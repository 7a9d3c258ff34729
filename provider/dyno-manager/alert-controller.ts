/**
 * Threshold alerts in the dyno manager: every few seconds (of scaled time) it reads the apps'
 * thresholds from the alerts volume (alert-store.ts), judges the last complete minutes of their
 * requests (the shared RequestWindow) with alert-plan.ts, writes a line per fired or resolved
 * alert for `dynoform logs`, and leaves the alert in the outbox for the notifier when the app has
 * a webhook. It never waits on a webhook: the manager has no network, the notifier does.
 */
import { completeMinutes, planAlerts, type AlertBook, type AlertInput } from "./alert-plan";
import { alertText } from "./alert-payload";
import { enqueueAlert, loadAlertBook, loadAlertConfigs, saveAlertBook, ALERTS_DIR } from "./alert-store";
import type { RequestWindow } from "./request-window";

/** A line of an app's log (source, text). */
export type AppLog = (app: string, source: string, text: string) => void;

export class AlertController {
  private book: AlertBook;
  /** Minutes that start before this were not watched (the window is empty after a restart). */
  private readonly watchingSinceMs: number;
  readonly minuteMs: number;

  /**
   * @param timeScale how many times faster than real time (tests: 60, a minute is a second)
   * @param graceMs how long after a minute ends its requests are taken as all in (lines come a little late)
   */
  constructor(
    private readonly requests: RequestWindow,
    private readonly appLog: AppLog,
    private readonly log: (message: string) => void,
    timeScale = 1,
    private readonly graceMs = 1500,
    private readonly dir = ALERTS_DIR,
    nowMs = Date.now(),
  ) {
    this.minuteMs = 60_000 / (timeScale > 0 ? timeScale : 1);
    this.watchingSinceMs = nowMs;
    this.book = loadAlertBook(dir);
  }

  /** How often `evaluate` is worth calling: a few times per minute. */
  get intervalMs(): number {
    return Math.max(250, Math.min(10_000, this.minuteMs / 4));
  }

  /** One round: judge every configured process type, log and queue what changed. */
  evaluate(nowMs = Date.now()): void {
    const inputs: AlertInput[] = [];
    const configs = loadAlertConfigs(this.dir);
    const webhooks = new Set(configs.filter((c) => c.webhookUrl).map((c) => c.app));
    for (const config of configs) {
      for (const [processType, thresholds] of Object.entries(config.alerts)) {
        const starts = completeMinutes(nowMs, this.minuteMs, thresholds.windowMinutes, this.graceMs);
        const minutes = starts.map((startMs) => ({
          startMs,
          stats:
            startMs < this.watchingSinceMs ? undefined : this.requests.stats(config.app, processType, startMs, startMs + this.minuteMs),
        }));
        inputs.push({ app: config.app, processType, thresholds, minutes });
      }
    }
    const { book, events } = planAlerts(this.book, inputs, nowMs);
    const changed = events.length > 0 || Object.keys(book).length !== Object.keys(this.book).length;
    for (const e of events) {
      this.appLog(e.app, `heroku[${e.processType}]`, alertText(e));
      if (webhooks.has(e.app)) enqueueAlert(e, this.dir);
    }
    this.book = book;
    if (changed) saveAlertBook(book, this.dir);
  }

  /** `evaluate`, its errors logged (a broken config file must not stop the manager). */
  tick(): void {
    try {
      this.evaluate();
    } catch (e) {
      this.log(`alerts: ${(e as Error).message}`);
    }
  }
}
