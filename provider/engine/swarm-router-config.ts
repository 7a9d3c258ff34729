/**
 * The cluster router's HAProxy configuration (pure). It names apps, not dynos: each app's web
 * dynos are found through Swarm's DNS (`tasks.<app>-web`, every node's tasks), re-resolved each
 * second, so a dyno replaced, added or moved to another node needs no reload.
 */
import { WAKE_TIMEOUT_SECONDS } from "../dyno-manager/idle-controller";
import { ERRORS_DIR, IDLE_TUNNEL_SECONDS, REQUEST_TIMEOUT_SECONDS, WAKE_SCRIPT } from "../router/router-config";
import { errorFileName, ROUTER_ERRORS } from "../router/router-errors";
import { webTasksName } from "./swarm-service-spec";

/** One app the router serves. */
export interface SwarmRoute {
  app: string;
  hostnames: string[];
  webPort: number;
  /** Eco: its web dynos sleep when idle, and a request wakes them (held meanwhile, router/wake.lua). */
  sleeps?: boolean;
}

/** Server slots per app: Heroku's largest quantity of one process type. */
export const MAX_WEB_DYNOS = 100;

/** HAProxy backend names allow `[A-Za-z0-9_.:-]`; app names are `a-z0-9-`. */
const backend = (app: string) => `app-${app}`;

export function renderSwarmRouterConfig(routes: SwarmRoute[], httpPort: number): string {
  const sorted = [...routes].sort((a, b) => a.app.localeCompare(b.app));
  const lines = [
    "global",
    "  log stdout format raw local0",
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
    "  http-request set-var(txn.host) req.hdr(host),field(1,:),lower",
    ...sorted.flatMap((r) => r.hostnames.map((h) => `  use_backend ${backend(r.app)} if { var(txn.host) -m str ${h.toLowerCase()} }`)),
    // http-request rules run before use_backend: the 404 is a backend of its own.
    "  default_backend no-such-app",
    "",
    "backend no-such-app",
    '  http-request return status 404 content-type text/plain string "No such app\\n"',
    "",
  ];
  for (const r of sorted) {
    lines.push(
      `backend ${backend(r.app)}`,
      "  balance roundrobin",
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
