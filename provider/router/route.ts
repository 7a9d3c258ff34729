/** The route model: what the router serves, as observed from Docker and rendered into HAProxy's config. */

export interface RouteServer {
  /** `web.2`: the server's name in HAProxy, and `dyno=` in the router log. */
  dyno: string;
  /** DNS name of this one dyno on the app network (Docker's resolver follows it across restarts). */
  address: string;
  /**
   * Its address when observed: a freshly reloaded worker starts with it instead of waiting a
   * resolution, so a preboot's switch has no moment without servers.
   */
  ip?: string;
}

export interface Route {
  app: string;
  /** Hostnames routed to the app (`Host` header, port ignored). */
  hostnames: string[];
  webPort: number;
  /** The live release's web dynos; none means H14. */
  servers: RouteServer[];
  /** Eco: the web dynos sleep when idle, and a request wakes them (held up to 75 s, then H20). */
  sleeps?: boolean;
  /**
   * Maintenance mode (Heroku's H80): every request gets the 503 maintenance page, whatever the
   * dynos do. `page` is the custom page's spec (sdk/maintenance.ts), "" for the router's own.
   */
  maintenance?: { page: string };
}
