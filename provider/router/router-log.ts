import type Docker from "dockerode";
import { execIn, lineSink } from "../docker/docker-exec";
import { ADMIN_SOCKET, REQUEST_LOG_RING } from "./router-names";

/**
 * The router's request log: one line per request in Heroku's format, kept in HAProxy's in-memory
 * ring and read through its admin socket with `docker exec` (no port, so no dyno can reach it).
 * The ring starts empty when the router restarts or reloads, as Heroku's log stream keeps only
 * recent lines.
 */
const showEvents = (follow: boolean) => ["sh", "-c", `echo "show events ${REQUEST_LOG_RING}${follow ? " -w" : ""}" | socat -t 86400 stdio unix-connect:${ADMIN_SOCKET}`];

/** `2026-01-01T12:00:00.123456+00:00 at=info …` → Docker's stamp (`…Z`), so lines sort with dyno logs. */
export function normalizeRingLine(line: string): string {
  return line.replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)\+00:00 /, "$1Z ");
}

/** Every request line the router holds now, oldest first. */
export async function readRequestLog(router: Docker.Container): Promise<string[]> {
  const { output } = await execIn(router, showEvents(false));
  return output.split("\n").filter((l) => /^\d{4}-/.test(l)).map(normalizeRingLine);
}

/** Calls `onLine` with each new request line until the router's worker reloads or `signal` aborts. */
export async function followRequestLog(router: Docker.Container, onLine: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const exec = await router.exec({ Cmd: showEvents(true), AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = lineSink((l) => {
    if (/^\d{4}-/.test(l)) onLine(normalizeRingLine(l));
  });
  router.modem.demuxStream(stream, out, out);
  signal?.addEventListener("abort", () => stream.destroy());
  await new Promise<void>((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
  });
}
