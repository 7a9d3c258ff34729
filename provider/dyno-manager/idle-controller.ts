/**
 * Eco sleeping, the pure part: which apps' Eco dynos go to sleep. Heroku puts an Eco web dyno to
 * sleep after 30 minutes without a request, together with the app's Eco worker; a worker-only app
 * never sleeps. The dyno manager feeds this what it saw (router log lines, running dynos) and acts.
 */

/** Heroku's idle time before an Eco web dyno sleeps. */
export const ECO_SLEEP_AFTER_SECONDS = 30 * 60;

/** Heroku's router holds a request for a sleeping app this long while it boots, then H20. */
export const WAKE_TIMEOUT_SECONDS = 75;

/** A dyno of a size that sleeps (it carries the `dynoform.sleep-after` label), as the idle controller sees it. */
export interface IdleDyno {
  app: string;
  processType: string;
  running: boolean;
  /** When its container last started (ms since the epoch). */
  startedAtMs: number;
  /** The formation's idle time before sleeping (label `dynoform.sleep-after`). */
  sleepAfterSeconds: number;
}

/**
 * Apps to put to sleep now: those with a running Eco web dyno and no request (nor web dyno start)
 * for their idle time. A worker-only app never sleeps.
 */
export function appsToSleep(dynos: IdleDyno[], lastRequestMs: ReadonlyMap<string, number>, nowMs: number): string[] {
  const apps = new Set<string>();
  const byApp = new Map<string, IdleDyno[]>();
  for (const d of dynos) byApp.set(d.app, [...(byApp.get(d.app) ?? []), d]);
  for (const [app, list] of byApp) {
    const web = list.filter((d) => d.processType === "web" && d.running);
    if (web.length === 0) continue;
    const lastActivity = Math.max(lastRequestMs.get(app) ?? 0, ...web.map((d) => d.startedAtMs));
    const idleAfterMs = Math.min(...web.map((d) => d.sleepAfterSeconds)) * 1000;
    if (nowMs - lastActivity >= idleAfterMs) apps.add(app);
  }
  return [...apps].sort();
}

/** The app a router asks to wake (`dynoform-wake app=<name>`, written by router/wake.lua). */
export function wakeRequest(line: string): string | undefined {
  return /dynoform-wake app=([a-z0-9-]+)/.exec(line)?.[1];
}
