/**
 * The cluster router's HAProxy configuration (pure). It names apps, not dynos: each app's web
 * dynos are found through Swarm's DNS (`tasks.<app>-web`, every node's tasks), re-resolved each
 * second, so a dyno replaced, added or moved to another node needs no reload.
 */
import { WAKE_TIMEOUT_SECONDS } from "../dyno-manager/idle-controller";
import { ADMIN_SOCKET, ERRORS_DIR, IDLE_TUNNEL_SECONDS, REQUEST_TIMEOUT_SECONDS, WAKE_SCRIPT } from "../router/router-config";
import { errorFileName, ROUTER_ERRORS } from "../router/router-errors";
import { SHIELD_TLS_MIN_VERSION, type SpaceRouterRules } from "../spaces/space-router-rules";
import { admitsLoopback, trustedSources } from "../spaces/trusted-sources";
import { maintenanceFileName } from "../router/maintenance-page";
import {
  hostCondition,
  isWildcard,
  renderForwardedTls,
  renderHttpsBind,
  renderWildcardRoutes,
  type RouterTlsConfig,
} from "../tls/router-tls";
import { ACME_RESPONDER_PORT } from "./acme-responder-config";
import { webTasksName } from "./swarm-service-spec";

/** One app the router serves. */
export interface SwarmRoute {
  app: string;
  hostnames: string[];
  webPort: number;
  /** Eco: its web dynos sleep when idle, and a request wakes them (held meanwhile, router/wake.lua). */
  sleeps?: boolean;
}

/** What a space router's config needs of its rules (spaces/space-router-rules.ts). */
export type SwarmRouterRules = Pick<SpaceRouterRules, "trustedIpRanges" | "shield">;

/**
 * The variable a space router's start command sets to the address this edge node's own
 * connections to the published port arrive from (the gateway of the task's default route, Docker's
 * `docker_gwbridge`): each replica finds its own, as the single-engine router finds its one.
 */
export const LOOPBACK_SOURCE_VAR = "DYNOFORM_LOOPBACK_SOURCE";

/** A space router's command: finds its loopback source (perl-base is in every Debian image), then runs HAProxy as the image does. */
export const SPACE_ROUTER_COMMAND = [
  "sh",
  "-c",
  `${LOOPBACK_SOURCE_VAR}=$(perl -ane 'if ($F[1] eq "00000000") { print join ".", reverse map { hex } unpack "(A2)4", $F[2]; exit }' /proc/net/route); export ${LOOPBACK_SOURCE_VAR}=\${${LOOPBACK_SOURCE_VAR}:-127.0.0.1}; exec haproxy -W -db -f /etc/haproxy/haproxy.cfg`,
];

/** HAProxy's `option httplog` format with the path in place of the whole request line (no query string). */
const REDACTED_HTTPLOG =
  'log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs \\"%HM %HP %HV\\""';

/** The frontend lines a space's rules add: who may connect, and what the log leaves out. */
export function spaceRuleLines(rules: SwarmRouterRules | undefined): string[] {
  if (!rules) return [];
  const ranges = rules.trustedIpRanges;
  // 127.0.0.1 trusted: this node's own connections, which arrive from its gateway (see LOOPBACK_SOURCE_VAR).
  const sources = trustedSources(ranges, admitsLoopback(ranges) ? `"\${${LOOPBACK_SOURCE_VAR}}"` : undefined);
  return [
    ...(sources.length ? [`  tcp-request connection reject unless { src ${sources.join(" ")} }`] : []),
    ...(rules.shield ? [`  ${REDACTED_HTTPLOG}`] : []),
  ];
}

/** Custom domains' certificates, HTTPS redirects, maintenance mode and the ACME responder. */
export interface SwarmRouterExtras {
  /** Certificates and redirect hosts (challenges are the responder's: see acme-responder-config.ts). */
  tls: RouterTlsConfig;
  /** The HTTPS port clients connect to (redirects, `X-Forwarded-Port`). */
  httpsPort?: number;
  /** Apps in maintenance → their page spec ("" for the router's own page). */
  maintenance: Record<string, string>;
  /** The responder's DNS name (`tasks.<router>-acme`). */
  acmeResponder: string;
}

const ACME_PATH = "{ path_beg /.well-known/acme-challenge/ }";

/** Server slots per app: Heroku's largest quantity of one process type. */
export const MAX_WEB_DYNOS = 100;

/** HAProxy backend names allow `[A-Za-z0-9_.:-]`; app names are `a-z0-9-`. */
const backend = (app: string) => `app-${app}`;

export function renderSwarmRouterConfig(
  routes: SwarmRoute[],
  httpPort: number,
  extras?: SwarmRouterExtras,
  rules?: SwarmRouterRules,
): string {
  const sorted = [...routes].sort((a, b) => a.app.localeCompare(b.app));
  const lines = [
    "global",
    "  log stdout format raw local0",
    // For `show stat` (docker exec … socat): which dynos each replica sees, and why a request failed.
    `  stats socket ${ADMIN_SOCKET} mode 600 level admin`,
    // Only with a sleeping app: the config of a cluster without Eco apps stays as it was.
    ...(sorted.some((r) => r.sleeps) ? [`  lua-load ${WAKE_SCRIPT}`] : []),
    "",
    // Docker's embedded DNS on every overlay network; `hold valid 1s` re-reads scaling at once.
    "resolvers docker",
    "  nameserver dns1 127.0.0.11:53",
    "  resolve_retries 3",
    "  timeout resolve 1s",
    "  timeout retry 1s",
    "  hold valid 1s",
    "  hold nx 1s",
    "  hold other 1s",
    "  accepted_payload_size 8192",
    "",
    "defaults",
    "  mode http",
    "  log global",
    "  option httplog",
    "  timeout connect 5s",
    "  timeout client 60s",
    `  timeout server ${REQUEST_TIMEOUT_SECONDS}s`,
    `  timeout tunnel ${IDLE_TUNNEL_SECONDS}s`,
    // A dyno stopping (SIGTERM) between two health checks: the request goes to another one.
    "  retries 3",
    "  retry-on conn-failure empty-response",
    "  option redispatch 1",
    `  errorfile 503 ${ERRORS_DIR}/${errorFileName(ROUTER_ERRORS.H14)}`,
    "",
    "frontend http",
    `  bind :${httpPort}`,
    ...spaceRuleLines(rules),
    ...renderHttpsBind(extras?.tls, rules?.shield ? SHIELD_TLS_MIN_VERSION : undefined),
    "  http-request set-var(txn.host) req.hdr(host),field(1,:),lower",
    ...(extras ? renderSwarmTlsRules(extras) : []),
    ...sorted.flatMap((r) =>
      r.hostnames
        .filter((h) => !isWildcard(h))
        .map((h) => `  use_backend ${backend(r.app)} if { var(txn.host) -m str ${h.toLowerCase()} }`),
    ),
    ...renderWildcardRoutes(sorted, backend),
    // http-request rules run before use_backend: the 404 is a backend of its own.
    "  default_backend no-such-app",
    "",
    "backend no-such-app",
    '  http-request return status 404 content-type text/plain string "No such app\\n"',
    "",
  ];
  if (extras)
    lines.push(
      "backend acme-responder",
      `  server-template acme 1 ${extras.acmeResponder}:${ACME_RESPONDER_PORT} check inter 1s fall 1 rise 1 resolvers docker resolve-prefer ipv4 init-addr none`,
      "",
    );
  for (const r of sorted) {
    const page = extras?.maintenance[r.app];
    lines.push(
      `backend ${backend(r.app)}`,
      "  balance roundrobin",
      // Heroku's H80: every request gets the maintenance page, whatever the dynos do.
      ...(page === undefined ? [] : [`  http-request return status 503 errorfile ${ERRORS_DIR}/${maintenanceFileName(r.app, page)}`]),
      // No dyno up (asleep: the dyno manager scaled the service to 0): the request waits while
      // wake.lua asks the manager (a line on stdout) and a dyno comes up; H20 after 75 s.
      ...(r.sleeps
        ? [
            `  http-request lua.dynoform_wake ${backend(r.app)} ${r.app} ${WAKE_TIMEOUT_SECONDS} if { nbsrv(${backend(r.app)}) eq 0 }`,
            `  http-request return status 503 errorfile ${ERRORS_DIR}/${errorFileName(ROUTER_ERRORS.H20)} if { var(txn.wake) -m str timeout }`,
          ]
        : []),
      `  server-template web ${MAX_WEB_DYNOS} ${webTasksName(r.app)}:${r.webPort} check inter 1s fall 1 rise 1 resolvers docker resolve-prefer ipv4 init-addr none`,
      "",
    );
  }
  return lines.join("\n");
}

/**
 * The TLS side's frontend rules: Heroku's forwarded headers on HTTPS, ACME challenges to the
 * responder (plain HTTP only, before any redirect), then the redirects to HTTPS.
 */
function renderSwarmTlsRules(extras: SwarmRouterExtras): string[] {
  const port = extras.httpsPort && extras.httpsPort !== 443 ? `:${extras.httpsPort}` : "";
  return [
    ...(extras.tls.certificates.length ? renderForwardedTls(extras.httpsPort) : []),
    ...extras.tls.redirectHosts.map(
      (h) =>
        `  http-request redirect location https://%[var(txn.host)]${port}%[capture.req.uri] code 301 if !{ ssl_fc } !${ACME_PATH} ${hostCondition(h)}`,
    ),
    `  use_backend acme-responder if !{ ssl_fc } ${ACME_PATH}`,
  ];
}
