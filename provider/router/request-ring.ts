/**
 * How the router's request ring is read: what `dynoform logs` (router-log.ts, through dockerode)
 * and the dyno manager (router-request-follower.ts, through the raw socket) share. No imports
 * beyond router-names.ts, so the manager's image can carry it.
 */
import { REQUEST_LOG_RING } from "./router-names";

/** The admin-socket command that dumps the ring and then waits for new lines (`-w`). */
export const FOLLOW_RING_COMMAND = `show events ${REQUEST_LOG_RING} -w\n`;

/** `2026-01-01T12:00:00.123456+00:00 at=info …` → Docker's stamp (`…Z`), so lines sort with dyno logs. */
export function normalizeRingLine(line: string): string {
  return line.replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)\+00:00 /, "$1Z ");
}

/** A request line (the ring also carries a worker's own notices). */
export const isRingRequestLine = (line: string): boolean => /^\d{4}-/.test(line);

/** What a worker writes into the ring when a reload stops it: its proxies stop listening. */
export const WORKER_STOPPING = /^\S+ Proxy \S+ stopped /;

/**
 * How long a follow stays on a stopping worker: it still answers one request on each idle
 * keep-alive connection (option idle-close-on-response), and those lines are only in its ring.
 * Short, because the connection keeps the worker (and so a deploy's drain) waiting.
 */
export const STOPPING_WORKER_GRACE_MS = 2000;
