/**
 * Docker labels are how Dynoform finds what it made again: `refresh`, the router, `dynoform ps`
 * and the tests all select by them instead of keeping their own inventory.
 */
export const LABEL = {
  /** Every object Dynoform creates carries this, so "nothing left behind" is one query. */
  managed: "dynoform.managed",
  /** What kind of object: app-network, app-image, dyno, router, router-network. */
  role: "dynoform.role",
  app: "dynoform.app",
  process: "dynoform.process",
  /** `web.2`: the dyno's name within its app, as Heroku's `DYNO` variable. */
  dyno: "dynoform.dyno",
  release: "dynoform.release",
  size: "dynoform.size",
  /** The Space an app, dyno, network or router belongs to. */
  space: "dynoform.space",
  /** `true` on a Shield space's objects. */
  shield: "dynoform.shield",
  /** A space router's trusted source ranges, comma-separated CIDRs. */
  trustedRanges: "dynoform.trusted-ranges",
  /** Where the app is reachable: the router routes `Host: <hostname>` to the app's web dynos. */
  hostname: "dynoform.hostname",
  /** The router (container name) that serves an app network. */
  router: "dynoform.router",
  /** A dyno's memory quota in MB (its size's RAM; its container's limit is the R15 threshold): over it, R14. */
  memoryQuota: "dynoform.memory-quota",
  /** A dyno's metrics retention (its tier's: none, 24h, 7d), read by the dyno manager's sampler. */
  metrics: "dynoform.metrics",
  /**
   * On app images Dynoform built from a detected language (`node`, `python`, `static`); a
   * Dockerfile may set it too. A `node` image's dynos get the runtime metrics preload.
   */
  language: "dynoform.language",
  /** On dynos that got a language runtime metrics preload: which (`node`); the dyno manager reads their metrics. */
  runtimeMetrics: "dynoform.runtime-metrics",
  /** `true` on the web dynos of a preboot formation: the dyno manager cycles them start-first. */
  preboot: "dynoform.preboot",
  /** Eco dynos: seconds without a request before they sleep (read by the dyno manager). */
  sleepAfter: "dynoform.sleep-after",
  /** On Dynoform's images: which part of Dynoform the image is (router, dyno-manager). */
  component: "dynoform.component",
  /** The port web dynos listen on inside their network (the `PORT` they are given). */
  webPort: "dynoform.web-port",
  /**
   * When `dynoform restart` (or a rollback) made this dyno's container: the dyno manager counts
   * crash cool-offs per release and restart, so a restart starts the cool-off over.
   */
  restartedAt: "dynoform.restarted-at",
} as const;

export type Role =
  | "app-network"
  | "app-image"
  | "dyno"
  | "router"
  | "router-network"
  | "router-lock"
  | "dyno-manager"
  | "alert-notifier"
  | "one-off"
  | "release"
  | "maintenance";

/** Labels for a Docker filter: `{ label: ["dynoform.app=api", ...] }`. */
export function labelFilter(labels: Record<string, string>): { label: string[] } {
  return { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
}
