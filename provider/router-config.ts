/**
 * Renders the router's HAProxy configuration from the routes. Pure: the router controller feeds
 * it what it observed in Docker, so the config is always derived, never edited in place.
 */
export interface Route {
  app: string;
  /** Hostnames routed to the app (`Host` header, port ignored). */
  hostnames: string[];
  /** DNS name under which Docker's resolver returns every web dyno's address. */
  webAlias: string;
  webPort: number;
}

/** At most this many web dynos per app receive traffic (Heroku's dyno limit per app is 100). */
export const MAX_WEB_DYNOS = 100;

export function backendName(app: string): string {
  return `app_${app.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}

export function renderRouterConfig(routes: Route[]): string {
  const sorted = [...routes].sort((a, b) => a.app.localeCompare(b.app));
  const lines: string[] = [
    "# Written by the Dynoform provider; edits are lost on the next `pulumi up`.",
    "global",
    "  master-worker",
    "  log stdout format raw local0",
    "  stats socket /run/haproxy-admin.sock mode 600 level admin",
    "  hard-stop-after 35s",
    "",
    // Docker's embedded DNS knows every dyno's network alias: new dynos are found within about a
    // second and removed ones dropped, without reloading HAProxy.
    "resolvers docker",
    "  nameserver docker 127.0.0.11:53",
    "  accepted_payload_size 8192",
    "  resolve_retries 3",
    "  timeout resolve 1s",
    "  timeout retry 1s",
    "  hold valid 1s",
    "  hold other 1s",
    "  hold refused 1s",
    "  hold nx 1s",
    "  hold timeout 1s",
    "  hold obsolete 1s",
    "",
    "defaults",
    "  mode http",
    "  log global",
    "  option httplog",
    "  option forwardfor",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 30s",
    "  timeout http-request 10s",
    "",
    "frontend http",
    "  bind :80",
    "  http-request set-header X-Forwarded-Proto http",
    "  http-request set-header X-Forwarded-Port 80",
  ];
  for (const r of sorted) {
    for (const host of [...r.hostnames].sort()) {
      lines.push(`  use_backend ${backendName(r.app)} if { req.hdr(host),field(1,:),lower -m str ${host.toLowerCase()} }`);
    }
  }
  lines.push("  default_backend no_such_app", "");
  for (const r of sorted) {
    lines.push(
      `backend ${backendName(r.app)}`,
      "  balance roundrobin",
      `  server-template web ${MAX_WEB_DYNOS} ${r.webAlias}:${r.webPort} check inter 1s fall 2 rise 1 resolvers docker init-addr none resolve-prefer ipv4`,
      "",
    );
  }
  lines.push(
    "backend no_such_app",
    '  http-request return status 404 content-type text/plain string "No such app\\n"',
    "",
  );
  return lines.join("\n");
}
