/**
 * Machine-level settings, read once at program time and passed to the providers as inputs, so a
 * resource's state says where it was served.
 */
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
}

export function runtimeSettings(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  return {
    baseDomain: env.DYNOFORM_BASE_DOMAIN || "dynoform.localhost",
    router: env.DYNOFORM_ROUTER || "dynoform-router",
    routerHttpPort: Number(env.DYNOFORM_ROUTER_HTTP_PORT || 8080),
    routerHttpsPort: Number(env.DYNOFORM_ROUTER_HTTPS_PORT || 8443),
  };
}

/** Web dynos listen here inside their own network namespace (Heroku's `PORT`). */
export const WEB_PORT = 5000;
