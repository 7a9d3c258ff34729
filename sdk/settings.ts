/**
 * Every `DYNOFORM_*` variable and every Heroku constant Dynoform uses, defined once.
 *
 * Machine-level settings are read at program time and passed to the providers as inputs, so a
 * resource's state says where it was served.
 */

/** The environment variables Dynoform reads, by purpose. */
export const ENV = {
  /** Apps answer at `<app>.<base domain>` (default `dynoform.localhost`). */
  baseDomain: "DYNOFORM_BASE_DOMAIN",
  /** The router container (and network) serving the Common Runtime (default `dynoform-router`). */
  router: "DYNOFORM_ROUTER",
  /** The router's HTTP port on 127.0.0.1 (default 8080). */
  routerHttpPort: "DYNOFORM_ROUTER_HTTP_PORT",
  /** The router's HTTPS port on 127.0.0.1 (default 8443). */
  routerHttpsPort: "DYNOFORM_ROUTER_HTTPS_PORT",
  /** The default ACME directory of Certificates (a short name or a URL; default `letsencrypt`). */
  acmeDirectory: "DYNOFORM_ACME_DIRECTORY",
  /** Scales the dyno manager's crash backoff (tests: a fraction of Heroku's timings). */
  crashBackoffScale: "DYNOFORM_CRASH_BACKOFF_SCALE",
  /** Seconds between the dyno manager's memory and load samples (default 20, Heroku's cadence; tests: 1). */
  metricsInterval: "DYNOFORM_METRICS_INTERVAL",
  /**
   * `off`: the dyno manager neither samples dynos (so no R14 lines either) nor follows the routers'
   * requests. The benchmarks' anchor for what metrics cost; default on.
   */
  metrics: "DYNOFORM_METRICS",
  /**
   * How many times faster than real time alerts, autoscaling, dyno cycling, one-off dynos' maximum
   * life and Eco dyno hours run (default 1; tests: 60, so a minute of Heroku's windows and pacing
   * passes in a second). Read by the dyno manager.
   */
  timeScale: "DYNOFORM_TIME_SCALE",
  /**
   * Hours in the engine's monthly Eco dyno hour pool, shared by every Eco app on it (default
   * 1000, Heroku's; fractions allowed). Read by the dyno manager (README "Eco dyno hours").
   */
  ecoHours: "DYNOFORM_ECO_HOURS",
  /**
   * Where the dyno manager's Eco clock starts, an ISO date (default: now). With
   * `DYNOFORM_TIME_SCALE`, tests put it near a month's end to see the Eco pool reset.
   */
  ecoClockStart: "DYNOFORM_ECO_CLOCK_START",
  /**
   * An app config var, not a machine setting: `false` keeps the language runtime metrics preload
   * out of the app's dynos on sizes that would get it (README "Language runtime metrics").
   */
  runtimeMetrics: "DYNOFORM_RUNTIME_METRICS",
  /**
   * Where people open the metrics page (`dynoform dashboard`), for the link in alert webhooks
   * (default `http://127.0.0.1:9190`, where `dynoform dashboard` listens); the page of an app's process type is `<url>/?app=<app>&type=<type>`.
   */
  dashboardUrl: "DYNOFORM_DASHBOARD_URL",
  /**
   * Lines each log drain buffers while its receiver is down (default 10,000; also at most 8 MB),
   * beyond which the oldest go and the drain gets Heroku's L10 line. Read by the dyno manager.
   */
  drainBufferLines: "DYNOFORM_DRAIN_BUFFER_LINES",
  /** Where tools and the Pulumi CLI for tests are kept (default `~/.cache/dynoform`). */
  cache: "DYNOFORM_CACHE",
} as const;

/** Heroku's numbers, as Dynoform reproduces them (heroku-facts). */
export const HEROKU = {
  /** Web dynos listen here inside their own network namespace (Heroku's `PORT`). */
  webPort: 5000,
  /** Seconds a web dyno has to bind `$PORT` after starting. */
  bootTimeoutSeconds: 60,
  /** Seconds without a request before Eco dynos sleep (30 minutes). */
  ecoSleepAfterSeconds: 1800,
  /** The size a process type gets when none is given. */
  defaultSize: "standard-1x",
  /**
   * Autoscaling's desired p95 response time when the program gives none. Heroku starts from the
   * app's p95 of the past hour; a program is written before any request, so Dynoform needs a number.
   */
  autoscaleP95TargetMs: 1000,
  /** ACM renews certificates with fewer days than this left (one month). */
  renewBeforeDays: 30,
} as const;

/** Machine-level settings a program runs with. */
export interface RuntimeSettings {
  /** Apps are reachable at `<app>.<baseDomain>`; `*.localhost` resolves to loopback on its own. */
  baseDomain: string;
  /**
   * Which router serves the apps: its container and network name. Several routers can share one
   * engine (a test run, a Space), each with its own ports and apps.
   */
  router: string;
  /** The router's HTTP port on 127.0.0.1. */
  routerHttpPort: number;
  /** The router's HTTPS port on 127.0.0.1 (custom domains with certificates, by SNI). */
  routerHttpsPort: number;
  /** The ACME directory Certificates use unless they name one. */
  acmeDirectory: string;
  /** The metrics page's base URL, linked from alert webhooks. */
  dashboardUrl: string;
}

export function runtimeSettings(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  return {
    baseDomain: env[ENV.baseDomain] || "dynoform.localhost",
    router: env[ENV.router] || "dynoform-router",
    routerHttpPort: Number(env[ENV.routerHttpPort] || 8080),
    routerHttpsPort: Number(env[ENV.routerHttpsPort] || 8443),
    acmeDirectory: env[ENV.acmeDirectory] || "letsencrypt",
    dashboardUrl: (env[ENV.dashboardUrl] || "http://127.0.0.1:9190").replace(/\/+$/, ""),
  };
}

/** Web dynos listen here inside their own network namespace (Heroku's `PORT`). */
export const WEB_PORT = HEROKU.webPort;
