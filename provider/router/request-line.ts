/**
 * Reads one line of the router's request log (router-config.ts ROUTER_LOG_FORMAT, Heroku's router
 * format) back into numbers, for metrics and alerts. Pure.
 */

/** What a request line says. */
export interface RouterRequest {
  /** Epoch ms of the line's stamp. */
  atMs: number;
  host: string;
  method: string;
  /** The dyno that answered (`web.2`), or undefined when none did (`<NOSRV>`, an error page). */
  dyno?: string;
  status: number;
  /** `service=`: the dyno's time to the response's first byte, ms. */
  serviceMs: number;
  connectMs: number;
  bytes: number;
  /** `H12`, … when the router answered with one of Heroku's error codes. */
  code?: string;
  /** A WebSocket upgrade (status 101): left out of response-time percentiles, as on Heroku. */
  websocket: boolean;
}

/** One compiled pattern per field: the dyno manager reads every request the routers serve. */
const patterns = new Map<string, RegExp>();
const field = (line: string, name: string): string | undefined => {
  let re = patterns.get(name);
  if (!re) patterns.set(name, (re = new RegExp(`(?:^| )${name}=("[^"]*"|\\S+)`)));
  return re.exec(line)?.[1];
};

/** The line, or undefined when it is not a request line. */
export function parseRequestLine(line: string): RouterRequest | undefined {
  const stamp = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) /.exec(line);
  const status = Number(field(line, "status"));
  const host = field(line, "host");
  if (!stamp || !host || !Number.isInteger(status)) return undefined;
  const ms = (name: string) => {
    const v = Number.parseInt(field(line, name) ?? "", 10);
    return Number.isFinite(v) && v >= 0 ? v : 0;
  };
  const dyno = field(line, "dyno");
  return {
    atMs: Date.parse(stamp[1]),
    host: host.toLowerCase(),
    method: field(line, "method") ?? "",
    dyno: dyno && !dyno.startsWith("<") ? dyno : undefined,
    status,
    serviceMs: ms("service"),
    connectMs: ms("connect"),
    bytes: ms("bytes"),
    code: /(?:^| )at=error /.test(line) ? field(line, "code") : undefined,
    websocket: status === 101,
  };
}

/** `2xx` … `5xx` for a status. */
export const statusClass = (status: number): "1xx" | "2xx" | "3xx" | "4xx" | "5xx" =>
  status >= 500 ? "5xx" : status >= 400 ? "4xx" : status >= 300 ? "3xx" : status >= 200 ? "2xx" : "1xx";
