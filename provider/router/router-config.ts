/**
 * Renders the router's HAProxy configuration from the routes. Pure: the router controller feeds
 * it what it observed in Docker, so the config is always derived, never edited in place.
 */
import { createHash } from "node:crypto";
import { WAKE_TIMEOUT_SECONDS } from "../dyno-manager/idle-controller";
import { ADMIN_SOCKET, backendName, REQUEST_LOG_RING } from "./router-names";

export { ADMIN_SOCKET, backendName, REQUEST_LOG_RING };
import { errorFileName, LOG_HEADER, ROUTER_ERRORS } from "./router-errors";
import {
  isWildcard,
  renderCrtList,
  renderForwardedTls,
  renderHttpsBind,
  renderTlsHttpRules,
  renderWildcardRoutes,
  routerTlsConfig,
  tlsFile,
  withCustomDomains,
  type RouterTlsConfig,
  type TlsState,
} from "../tls/router-tls";
import type { Route } from "./route";
import { maintenanceFileName, renderMaintenanceFile } from "./maintenance-page";

export type { Route, RouteServer } from "./route";

/** One web dyno that takes traffic. */
export interface RouterConfigOptions {
  /** The port clients connect to on this machine (`X-Forwarded-Port`). */
  publicHttpPort: number;
  /** The port clients connect to for HTTPS (`X-Forwarded-Port` on the TLS side, redirects). */
  publicHttpsPort?: number;
  /** Lowest TLS version the HTTPS listener accepts (`TLSv1.2`), as Shield spaces require. */
  tlsMinVersion?: string;
  /** Certificates, pending ACME challenges and HTTPS redirects (see router-tls.ts). */
  tls?: RouterTlsConfig;
  /** A Space's trusted ranges: connections from any other source are refused. Empty or unset: all. */
  trustedSources?: string[];
  /** Shield: query strings (where tokens travel) stay out of the request log. */
  redactQueryStrings?: boolean;
}

/** The router's config folder (config, host maps, Lua, error pages, TLS store). */
export const CONFIG_DIR = "/etc/haproxy";
/** Where the error pages live inside the router. */
export const ERRORS_DIR = "/etc/haproxy/errors";
/** The Lua action that holds a request while a sleeping Eco app wakes (router/wake.lua). */
export const WAKE_SCRIPT = "/etc/haproxy/wake.lua";

/** Heroku's router: 30 s to the response's first byte (H12), 55 s idle on WebSockets and streams. */
export const REQUEST_TIMEOUT_SECONDS = 30;
export const IDLE_TUNNEL_SECONDS = 55;

/**
 * Heroku's router log line. The `at=` part is `at=info` or, for errors, the fragment the error
 * page carries (`at=error code=H12 desc="Request timeout"`).
 */
export const ROUTER_LOG_FORMAT =
  '%[var(txn.at)] method=%HM path="%HU" host=%[var(txn.host)] request_id=%[var(txn.rid)] fwd="%ci" dyno=%s connect=%Tc%[str(ms)] service=%Tr%[str(ms)] status=%[var(txn.status)] bytes=%B protocol=%[ssl_fc,iif(https,http)]';

const errorFile = (code: keyof typeof ROUTER_ERRORS) => `${ERRORS_DIR}/${errorFileName(ROUTER_ERRORS[code])}`;

/** What one router update observed: the routes it reaches, its TLS store, its ports and rules. */
export interface RouterObservation {
  routes: Route[];
  tls: TlsState;
  /** Everything but the TLS part: ports, a space's rules. */
  options: Omit<RouterConfigOptions, "tls">;
}

/** The files one router update writes: the HAProxy config, and TLS store files it names. */
export interface RenderedRouter {
  config: string;
  /** Host maps the config names, relative to /etc/haproxy (named by their content: see {@link hostMapFile}). */
  maps?: Record<string, string>;
  /** Relative to the TLS store (the crt-list), empty without certificates. */
  tlsFiles: Record<string, string>;
  /** Custom maintenance pages, relative to the errors folder (the router's own pages are always written). */
  pages?: Record<string, string>;
}

/** Renders a whole router update from one observation: custom domains, TLS, config. */
export function renderRouter(o: RouterObservation): RenderedRouter {
  const served = withCustomDomains(o.routes, o.tls);
  const tls = routerTlsConfig(served, o.tls);
  const config = renderRouterConfig(served, { ...o.options, tls });
  const map = renderHostMap(served);
  const pages = Object.fromEntries(
    o.routes
      .filter((r) => r.maintenance && r.maintenance.page !== "")
      .map((r) => [maintenanceFileName(r.app, r.maintenance!.page), renderMaintenanceFile(r.maintenance!.page)]),
  );
  return {
    config,
    maps: map ? { [hostMapFile(map)]: map } : {},
    tlsFiles: tls.certificates.length > 0 ? { [tlsFile.crtList]: renderCrtList(tls) } : {},
    pages,
  };
}

/**
 * The exact hostnames, one `host backend` line each, for HAProxy's `map()`: one tree lookup per
 * request instead of a chain of string compares that grows with the apps. A hostname two apps
 * name goes to the first in app order, as the ACL chain it replaced did.
 */
export function renderHostMap(routes: Route[]): string {
  const seen = new Map<string, string>();
  for (const r of [...routes].sort((a, b) => a.app.localeCompare(b.app))) {
    for (const host of r.hostnames.filter((h) => !isWildcard(h)).map((h) => h.toLowerCase())) {
      if (!seen.has(host)) seen.set(host, backendName(r.app));
    }
  }
  return [...seen].map(([host, backend]) => `${host} ${backend}\n`).join("");
}

/**
 * The map's file name, from its content: a config always names the map it was rendered with,
 * so a rejected config never changes what the live one routes by, and a draining worker's map
 * is never rewritten under it.
 */
export function hostMapFile(map: string): string {
  return `hosts-${createHash("sha256").update(map).digest("hex").slice(0, 12)}.map`;
}

export function renderRouterConfig(routes: Route[], opts: RouterConfigOptions): string {
  const sorted = [...routes].sort((a, b) => a.app.localeCompare(b.app));
  const lines: string[] = [
    "# Written by the Dynoform provider; edits are lost on the next `pulumi up`.",
    "global",
    "  master-worker",
    // One thread per CPU (HAProxy's default count), each held on its own CPU, as nginx's workers
    // stay on theirs: with wrk and the dynos on the same cores, unpinned threads can be moved
    // between CPUs and meet on one. `auto:` maps thread n to CPU n-1 for as many threads as run;
    // 64 is the most HAProxy has. With the line below, about 3 µs less per request on keep-alive
    // and HTTPS in two bench/router A/B runs (on `Connection: close` -14 µs in one, +3 in the other).
    "  cpu-map auto:1/1-64 0-63",
    // Each thread keeps its own idle connections to the dynos, as each nginx worker keeps its own
    // `keepalive` pool: shared pools made a thread take over another's connection (locks, an fd
    // moved between threads) on many requests. A dyno may see up to one more idle connection
    // per thread.
    "  tune.idle-pool.shared off",
    // Request lines go to an in-memory ring (read through the admin socket by `dynoform logs`):
    // writing each to stdout through Docker's log pipe halved the router's throughput. Stdout
    // keeps notices and up: server changes, and the wake requests of sleeping Eco apps.
    `  log ring@${REQUEST_LOG_RING} local0`,
    "  log stdout format raw local0 notice",
    // A unix socket inside the router's own filesystem: no dyno can reach it over any network.
    `  stats socket ${ADMIN_SOCKET} mode 600 level admin`,
    "  hard-stop-after 35s",
    `  lua-load ${WAKE_SCRIPT}`,
    "",
    // Docker's embedded DNS follows each dyno's address across crashes and engine restarts.
    // Every 3 s, not 1 s: each server is a query to dockerd, and with 50 apps the 1 s interval
    // cost the router about a tenth of its throughput (bench/router: 0.83× against 0.93×).
    "resolvers docker",
    "  nameserver docker 127.0.0.11:53",
    "  accepted_payload_size 8192",
    "  resolve_retries 3",
    "  timeout resolve 3s",
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
    `  log-format '${opts.redactQueryStrings ? ROUTER_LOG_FORMAT.replace('path="%HU"', 'path="%HP"') : ROUTER_LOG_FORMAT}'`,
    "  option forwardfor",
    // On a reload, the old worker answers one more request on each idle keep-alive connection
    // (with `Connection: close`) instead of closing it under a client that is sending.
    "  option idle-close-on-response",
    // A connection refused by a dying dyno is retried on another one, so it costs no request.
    "  option redispatch 1",
    "  retries 2",
    // A client's first request on a new connection takes an idle connection to a dyno that
    // another client's request left, as nginx's `keepalive` pool does. HAProxy's default (safe)
    // opens a new one for every first request, and `aggressive` only reuses a connection that
    // carried two requests, which never happens when every client sends `Connection: close`: with
    // either, each such request cost a TCP connect to the dyno, 0.36× nginx's req/s; with `always`
    // 0.85× (bench/router). A dyno closing an idle connection just as a request goes out on it is
    // covered by the retries below for methods safe to repeat; a POST then gets H99/502, as it
    // would through nginx, and as it already could on a client's second request.
    "  http-reuse always",
    // A dyno killed under load also closes the router's idle keep-alive connections to it: a
    // request sent on one at that moment gets no response, and HAProxy closed the client's
    // connection without one ("socket hang up"), beyond the requests the dyno held. Those are
    // retried on another dyno too, for methods safe to repeat (frontend: disable-l7-retry).
    "  retry-on conn-failure empty-response",
    "  timeout connect 5s",
    "  timeout client 60s",
    `  timeout server ${REQUEST_TIMEOUT_SECONDS}s`,
    `  timeout tunnel ${IDLE_TUNNEL_SECONDS}s`,
    "  timeout http-request 10s",
    `  errorfile 503 ${errorFile("H10")}`,
    `  errorfile 504 ${errorFile("H12")}`,
    `  errorfile 502 ${errorFile("H99")}`,
    "",
    "frontend http",
    "  bind :80",
    ...renderHttpsBind(opts.tls, opts.tlsMinVersion),
    ...(opts.trustedSources?.length ? [`  tcp-request connection reject unless { src ${[...opts.trustedSources].sort().join(" ")} }`] : []),
    "  http-request set-var(txn.at) str(at=info)",
    // A request the dyno may have acted on (POST, …) is never sent twice: only GET, HEAD, OPTIONS.
    "  http-request disable-l7-retry if !METH_GET !METH_OPTIONS",
    "  http-request set-var(txn.host) req.hdr(host),field(1,:),lower",
    // Heroku keeps a client's X-Request-Id when it is 20–200 of these characters, else makes one.
    "  http-request set-var(txn.rid) req.hdr(x-request-id) if { req.hdr(x-request-id) -m reg ^[A-Za-z0-9+=/-]{20,200}$ }",
    "  http-request set-var(txn.rid) uuid() unless { var(txn.rid) -m found }",
    "  http-request set-header X-Request-Id %[var(txn.rid)]",
    "  http-request set-header X-Forwarded-Proto http",
    `  http-request set-header X-Forwarded-Port ${opts.publicHttpPort}`,
    ...renderForwardedTls(opts.publicHttpsPort),
    '  http-request add-header Via "1.1 dynoform"',
    `  http-after-response set-var(txn.at) res.fhdr(${LOG_HEADER}) if { res.fhdr(${LOG_HEADER}) -m found }`,
    // The status the client gets: HAProxy counts a timeout as 504 even though its page says 503.
    "  http-after-response set-var(txn.status) status",
    `  http-after-response del-header ${LOG_HEADER}`,
    ...renderTlsHttpRules(opts.tls, opts.publicHttpsPort),
  ];
  // Exact hostnames through the host map, then wildcards (longest first), then "No such app".
  const map = renderHostMap(sorted);
  if (map)
    lines.push(
      `  http-request set-var(txn.backend) var(txn.host),map(${CONFIG_DIR}/${hostMapFile(map)})`,
      "  use_backend %[var(txn.backend)] if { var(txn.backend) -m found }",
    );
  lines.push(...renderWildcardRoutes(sorted, backendName));
  lines.push("  default_backend no_such_app", "");
  for (const r of sorted) {
    lines.push(`backend ${backendName(r.app)}`, "  balance roundrobin");
    // Maintenance first: it answers every request, before any rule that would wake or wait for dynos.
    if (r.maintenance)
      lines.push(`  http-request return status 503 errorfile ${ERRORS_DIR}/${maintenanceFileName(r.app, r.maintenance.page)}`);
    if (r.servers.length === 0) lines.push(`  http-request return status 503 errorfile ${errorFile("H14")}`);
    else if (r.sleeps) {
      lines.push(
        `  http-request lua.dynoform_wake ${backendName(r.app)} ${r.app} ${WAKE_TIMEOUT_SECONDS} if { nbsrv(${backendName(r.app)}) eq 0 }`,
        `  http-request return status 503 errorfile ${errorFile("H20")} if { var(txn.wake) -m str timeout }`,
        // The engine's Eco dyno hour pool is used up (wake.lua saw the dyno manager's file): no wake-up.
        `  http-request return status 503 errorfile ${errorFile("H82")} if { var(txn.wake) -m str exhausted }`,
      );
    }
    for (const s of [...r.servers].sort((a, b) => a.dyno.localeCompare(b.dyno, "en", { numeric: true }))) {
      lines.push(
        `  server ${s.dyno} ${s.address}:${r.webPort} check inter 1s fall 2 rise 1 resolvers docker init-addr ${s.ip ? `${s.ip},` : ""}none resolve-prefer ipv4`,
      );
    }
    lines.push("");
  }
  lines.push(
    `ring ${REQUEST_LOG_RING}`,
    '  description "one line per request, Heroku\'s router format"',
    "  format iso",
    "  maxlen 4096",
    "  size 16777216",
    "",
    "backend no_such_app",
    '  http-request return status 404 content-type text/plain string "No such app\\n"',
    "",
  );
  return lines.join("\n");
}
