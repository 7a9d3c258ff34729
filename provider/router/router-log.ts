import type Docker from "dockerode";
import { execIn, lineSink } from "../docker/docker-exec";
import { ADMIN_SOCKET, REQUEST_LOG_RING } from "./router-names";
import { FOLLOW_RING_COMMAND, isRingRequestLine, normalizeRingLine, STOPPING_WORKER_GRACE_MS, WORKER_STOPPING } from "./request-ring";

/**
 * The router's request log: one line per request in Heroku's format, kept in HAProxy's in-memory
 * ring and read through its admin socket with `docker exec` (no port, so no dyno can reach it).
 * The ring starts empty when the router restarts or reloads, as Heroku's log stream keeps only
 * recent lines.
 */
const showEvents = () => ["sh", "-c", `echo "show events ${REQUEST_LOG_RING}" | socat -t 86400 stdio unix-connect:${ADMIN_SOCKET}`];

/** Every request line the router holds now, oldest first. */
export async function readRequestLog(router: Docker.Container): Promise<string[]> {
  const { output } = await execIn(router, showEvents());
  return output.split("\n").filter(isRingRequestLine).map(normalizeRingLine);
}

/**
 * Calls `onLine` with each request line the router holds, then each new one as it is logged.
 * Resolves when the router's worker stops (a reload or restart: the caller follows the new one,
 * while this one's last lines still arrive for a moment) or `signal` aborts. The command goes in
 * on stdin and stdin stays open: HAProxy ends `show events -w` as soon as the client closes its
 * side, which turned every follow into one more read of the whole ring.
 */
export async function followRequestLog(router: Docker.Container, onLine: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const exec = await router.exec({
    Cmd: ["socat", "-t", "5", "stdio", `unix-connect:${ADMIN_SOCKET}`],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: true });
  // Closing the connection closes socat's stdin, and HAProxy then ends the command: nothing stays behind in the router.
  const stop = () => stream.destroy();
  let stopping: () => void = () => undefined;
  const out = lineSink((l) => {
    if (WORKER_STOPPING.test(l)) {
      stopping();
      setTimeout(stop, STOPPING_WORKER_GRACE_MS).unref();
    } else if (isRingRequestLine(l)) onLine(normalizeRingLine(l));
  });
  router.modem.demuxStream(stream, out, out);
  stream.write(FOLLOW_RING_COMMAND);
  if (signal?.aborted) stop();
  signal?.addEventListener("abort", stop);
  stream.on("close", () => signal?.removeEventListener("abort", stop));
  await new Promise<void>((resolve) => {
    stopping = resolve;
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
  });
}
