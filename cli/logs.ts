import Docker from "dockerode";
import { swarmDynoServices } from "../provider/engine/cluster-client";
import { demuxToText, lineSink } from "../provider/docker/docker-exec";
import {
  ALERT_NOTIFIER,
  followDynoManagerLog,
  LOG_DRAIN_FORWARDER,
  readDynoManagerLog,
} from "../provider/formations/dyno-manager-controller";
import { followRequestLog, readRequestLog } from "../provider/router/router-log";
import { readTlsState } from "../provider/router/router-tls-store";
import { hostRoutes, servesHost, type HostRoute } from "../provider/router/host-routes";
import { parseArgs } from "./args";
import { matchesFilter, type LogFilter } from "./log-filter";

export { matchesFilter, type LogFilter } from "./log-filter";
import type { CommandIO } from "./check";
import { LABEL } from "../provider/docker/labels";
import { SWARM_TASK_LABEL } from "./ps";

/** One line of an app's log, from any source. */
export interface LogLine {
  /** RFC 3339 with nanoseconds (always nine digits, so times sort as text). */
  time: string;
  /** Heroku's prefix: `app[web.1]`, `app[release.3]`, `heroku[router]`. */
  source: string;
  text: string;
}

/** Where log lines come from; the router's lines are one more source. */
export type LogSource = (docker: Docker, app: string, lines: number) => Promise<LogLine[]>;

/**
 * `…:00.1234Z` → `…:00.123400000Z`. Docker trims trailing zeros and the router writes
 * microseconds; with the same width everywhere, comparing the text compares the times.
 */
export function normalizeTime(time: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(time);
  return m ? `${m[1]}.${(m[2] ?? "").padEnd(9, "0").slice(0, 9)}Z` : time;
}

/** Splits Docker's `--timestamps` output (`2024-01-01T12:00:00.123456789Z text`) into lines. */
export function parseTimestamped(text: string, source: string): LogLine[] {
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => {
      const space = l.indexOf(" ");
      return { time: normalizeTime(l.slice(0, space)), source, text: l.slice(space + 1).replace(/\r$/, "") };
    });
}

/** The last `n` lines (`slice(-0)` would be all of them). */
export function lastLines<T>(lines: T[], n: number): T[] {
  return n <= 0 ? [] : lines.slice(-n);
}

/** All sources interleaved by time; lines of one source keep their order. */
export function mergeLogLines(streams: LogLine[][]): LogLine[] {
  return streams
    .flatMap((lines, s) => lines.map((line, i) => ({ line, s, i })))
    .sort((a, b) => (a.line.time < b.line.time ? -1 : a.line.time > b.line.time ? 1 : a.s - b.s || a.i - b.i))
    .map((x) => x.line);
}

/** Heroku's format: `2024-01-01T12:00:00.123456+00:00 app[web.1]: text`. */
export function formatLogLine(l: LogLine): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(l.time);
  const time = m ? `${m[1]}.${(m[2] ?? "").padEnd(6, "0").slice(0, 6)}+00:00` : l.time;
  return `${time} ${l.source}: ${l.text}`;
}

/**
 * Prints each line once. A follow starts by sending lines already printed: Docker's `since` is
 * inclusive, and the router's ring is dumped whole when its follow (re)starts, with no sequence
 * number to resume from; each request line is unique (its time and request_id), so the line
 * itself is the position. Bounded: the oldest keys go first, well beyond what one ring holds.
 */
export class SeenLines {
  private readonly seen = new Set<string>();
  constructor(private readonly max = 200_000) {}

  /** True the first time a line is offered, false after. */
  fresh(l: LogLine): boolean {
    const key = `${l.time} ${l.source} ${l.text}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > this.max) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }
}

/** An app's containers that write its log: dynos, and the last release phase (`release.N`), kept until the next one. */
async function logContainers(docker: Docker, app: string) {
  const [dynos, releases] = await Promise.all(
    ["dyno", "release-phase"].map((role) =>
      docker.listContainers({ all: true, filters: { label: [`dynoform.role=${role}`, `dynoform.app=${app}`] } }),
    ),
  );
  // A Swarm task's container is read through its service's log (swarmDynoLogs), once.
  return [...dynos, ...releases].filter((c) => c.Labels[LABEL.dyno] && !c.Labels[SWARM_TASK_LABEL]);
}

const containerSource = (c: Docker.ContainerInfo) => `app[${c.Labels[LABEL.dyno]}]`;

/** Every dyno's stdout and stderr, and the release phase's output. */
export const dynoLogs: LogSource = async (docker, app, lines) => {
  const containers = await logContainers(docker, app);
  const streams = await Promise.all(
    containers.map(async (c) => {
      const raw = (await docker
        .getContainer(c.Id)
        .logs({ stdout: true, stderr: true, timestamps: true, tail: lines, follow: false })) as unknown as Buffer;
      return parseTimestamped(demuxToText(raw), containerSource(c));
    }),
  );
  return mergeLogLines(streams);
};

/**
 * On a Swarm manager (`DOCKER_HOST` pointing at it): each process type's service log, which the
 * manager gathers from every node. `details` names each line's task, whose slot is the dyno's number.
 */
export const swarmDynoLogs: LogSource = async (docker, app, lines) => {
  const services = await swarmDynoServices(docker, app);
  if (services.length === 0) return [];
  const slots = new Map((await docker.listTasks()).map((t) => [t.ID, t.Slot]));
  const streams = await Promise.all(
    services.map(async (s) => {
      const type = s.Spec?.Labels?.[LABEL.process] ?? "web";
      const raw = (await docker
        .getService(s.ID)
        .logs({ stdout: true, stderr: true, timestamps: true, details: true, tail: lines, follow: false } as never)) as unknown as Buffer;
      return swarmLogLines(demuxToText(raw), type, slots);
    }),
  );
  return mergeLogLines(streams);
};

/**
 * `--tail` on a Swarm manager: each process type's service log followed (the manager gathers it
 * from every node) from `since` (seconds, inclusive: `print` drops what was already shown), until
 * `signal` aborts. A dyno started meanwhile (a restart, a scale) is named once its task is listed.
 */
export async function followSwarmDynoLogs(
  docker: Docker,
  app: string,
  since: number,
  print: (l: LogLine) => void,
  signal?: AbortSignal,
): Promise<void> {
  const services = await swarmDynoServices(docker, app);
  if (services.length === 0) return;
  const slots = new Map<string, number | undefined>();
  const refresh = async () => {
    for (const t of await docker.listTasks().catch(() => [])) slots.set(t.ID ?? "", t.Slot);
  };
  await refresh();
  await Promise.all(
    services.map(async (s) => {
      const type = s.Spec?.Labels?.[LABEL.process] ?? "web";
      const stream = (await docker.getService(s.ID).logs({
        stdout: true,
        stderr: true,
        timestamps: true,
        details: true,
        follow: true,
        since: since.toFixed(3),
      } as never)) as unknown as NodeJS.ReadableStream & { destroy(): void };
      // Lines are printed in the order they arrive; a new task's id is looked up before its first line.
      let pending = Promise.resolve();
      const out = lineSink((line) => {
        pending = pending.then(async () => {
          const task = /com\.docker\.swarm\.task\.id=([^,\s]+)/.exec(line)?.[1];
          if (task && !slots.has(task)) await refresh();
          swarmLogLines(line, type, slots).forEach(print);
        });
      });
      await readLogStream(docker, stream, out, signal);
      await pending;
    }),
  );
}

/** Splits a followed Docker log stream (stdout and stderr framed in one) into `out` until it ends or `signal` aborts. */
async function readLogStream(
  docker: Docker,
  stream: NodeJS.ReadableStream & { destroy(): void },
  out: NodeJS.WritableStream,
  signal?: AbortSignal,
): Promise<void> {
  docker.modem.demuxStream(stream, out, out);
  const stop = () => stream.destroy();
  if (signal?.aborted) stop();
  signal?.addEventListener("abort", stop);
  await new Promise((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", resolve);
  });
  signal?.removeEventListener("abort", stop);
}

/** `<time> com.docker.swarm.node.id=…,com.docker.swarm.service.id=…,com.docker.swarm.task.id=<id> <text>` → `app[web.<slot>]` lines. */
export function swarmLogLines(text: string, type: string, slots: Map<string, number | undefined>): LogLine[] {
  return parseTimestamped(text, "").map((l) => {
    const m = /^(\S*com\.docker\.swarm\.task\.id=([^,\s]+)\S*) ?(.*)$/.exec(l.text);
    const slot = m ? slots.get(m[2]) : undefined;
    return { time: l.time, source: `app[${type}.${slot ?? "?"}]`, text: m ? m[3] : l.text };
  });
}

/**
 * The router serving an app and every route on it: each app network's hostnames (its label)
 * with the custom domains claimed in the router's TLS store, which is where Domain resources live.
 */
async function routerRoutes(docker: Docker, app: string): Promise<{ router: string; routes: HostRoute[] } | undefined> {
  const nets = await docker.listNetworks({ filters: { label: ["dynoform.role=app-network", `dynoform.app=${app}`] } });
  const router = nets[0]?.Labels?.[LABEL.router];
  if (!router) return undefined;
  const all = await docker.listNetworks({ filters: { label: ["dynoform.role=app-network", `dynoform.router=${router}`] } });
  const claims = (await readTlsState(router).catch(() => undefined))?.domains ?? [];
  const routes = hostRoutes(
    all.map((n) => n.Labels ?? {}),
    claims,
    [app],
  );
  return { router, routes };
}

/** Keeps the router's lines about requests routed to the app (its hostnames or any rule `serves` says), as Heroku's `heroku[router]` source. */
export function routerLinesFor(lines: LogLine[], serves: string[] | ((host: string) => boolean)): LogLine[] {
  const hosts = Array.isArray(serves) ? new Set(serves.map((h) => h.toLowerCase())) : undefined;
  const keep = hosts ? (h: string) => hosts.has(h) : (serves as (host: string) => boolean);
  return lines
    .filter((l) => {
      const host = /(?:^| )host=(\S+)/.exec(l.text)?.[1];
      return host !== undefined && keep(host.toLowerCase());
    })
    .map((l) => ({ ...l, source: "heroku[router]" }));
}

/** The router's request lines for the app (one per request, Heroku's format). */
export const routerLogs: LogSource = async (docker, app, lines) => {
  const route = await routerRoutes(docker, app);
  if (!route) return [];
  const raw = await readRequestLog(docker.getContainer(route.router)).catch(() => [] as string[]);
  return lastLines(
    routerLinesFor(parseTimestamped(raw.join("\n"), "router"), (h) => servesHost(route.routes, app, h)),
    lines,
  );
};

/** The dyno manager's lines for the app: crashes, restarts, and a crashed dyno's last output. */
const managerLogs: LogSource = (docker, app, lines) => readDynoManagerLog(docker, app, lines);

/** The alert notifier's lines for the app: webhook deliveries, retries, giving up. */
const notifierLogs: LogSource = (docker, app, lines) => readDynoManagerLog(docker, app, lines, ALERT_NOTIFIER);

/** The drain forwarder's lines for the app (`heroku[logplex]`): a drain down, back, and L10 overflows. */
const drainLogs: LogSource = (docker, app, lines) => readDynoManagerLog(docker, app, lines, LOG_DRAIN_FORWARDER);

export const LOG_SOURCES: LogSource[] = [dynoLogs, swarmDynoLogs, routerLogs, managerLogs, notifierLogs, drainLogs];

const USAGE = "usage: dynoform logs --app NAME [-n LINES] [--tail|-t] [--dyno|-d web.2|web] [--source|-s app|heroku] [--type web]\n";

/** What `dynoform logs` was asked for. */
export interface LogsRequest {
  app: string;
  lines: number;
  tail: boolean;
  filter: LogFilter;
}

/** Reads the flags, Heroku's short forms too (-a, -n, -t for tail, -d, -s); a string is the usage error to print. */
export function parseLogsArgs(args: string[]): LogsRequest | string {
  const { flags, positional } = parseArgs(args, ["app", "a", "n", "num", "dyno", "d", "source", "s", "type"]);
  const str = (...names: string[]) => names.map((n) => flags[n]).find((v): v is string => typeof v === "string" && v !== "");
  const app = str("app", "a");
  const lines = Number(str("n", "num") ?? 100);
  const source = str("source", "s");
  if (!app || positional.length > 0) return USAGE;
  if (!Number.isInteger(lines) || lines < 0)
    return `dynoform logs: -n wants a number of lines (0 or more), not "${str("n", "num")}"\n${USAGE}`;
  if (source && source !== "app" && source !== "heroku")
    return `dynoform logs: --source is "app" (the dynos and release phase) or "heroku" (the router), not "${source}"\n${USAGE}`;
  return { app, lines, tail: Boolean(flags.tail || flags.t), filter: { dyno: str("dyno", "d"), source, type: str("type") } };
}

/**
 * `dynoform logs --app NAME [-n LINES] [--tail]` with Heroku's filters: the app's log, Heroku
 * style; `--tail` keeps following until `signal` aborts (or, without a router, every dyno ends).
 */
export async function runLogs(args: string[], io: CommandIO, docker = new Docker(), opts: { signal?: AbortSignal } = {}): Promise<number> {
  const parsed = parseLogsArgs(args);
  if (typeof parsed === "string") {
    io.stderr(parsed);
    return 2;
  }
  const { app, lines, tail, filter } = parsed;
  const seen = new SeenLines();
  const print = (l: LogLine) => {
    if (seen.fresh(l) && matchesFilter(l, filter)) io.stdout(`${formatLogLine(l)}\n`);
  };
  const startedAt = Date.now() / 1000;
  const all = mergeLogLines(
    await Promise.all(LOG_SOURCES.map((s) => s(docker, app, filter.source || filter.dyno || filter.type ? Math.max(lines, 1000) : lines))),
  );
  const shown = lastLines(
    all.filter((l) => matchesFilter(l, filter)),
    lines,
  );
  // Everything read counts as seen, printed or not: the follows below start by sending it again.
  for (const l of all) seen.fresh(l);
  for (const l of shown) io.stdout(`${formatLogLine(l)}\n`);
  if (!tail) return 0;
  const signal = opts.signal;
  const route = await routerRoutes(docker, app);
  const follow = async (c: Docker.ContainerInfo) => {
    const source = containerSource(c);
    // From the last line already read (inclusive, so `print` drops it), or from when this command started.
    const last = all.filter((l) => l.source === source).at(-1)?.time;
    const since = last ? `${Date.parse(`${last.slice(0, 19)}Z`) / 1000}.${last.slice(20, 29)}` : startedAt.toFixed(3);
    const stream = (await docker
      .getContainer(c.Id)
      .logs({ stdout: true, stderr: true, timestamps: true, follow: true, since: since as unknown as number })) as NodeJS.ReadableStream & {
      destroy(): void;
    };
    const out = lineSink((line) => parseTimestamped(line, source).forEach(print));
    await readLogStream(docker, stream, out, signal);
  };
  const followRouter = async (router: Docker.Container, routes: HostRoute[]) => {
    // The follow ends when the router reloads (a deploy) or is replaced; pick the new worker up.
    while (!signal?.aborted) {
      await followRequestLog(
        router,
        (line) => routerLinesFor(parseTimestamped(line, "router"), (h) => servesHost(routes, app, h)).forEach(print),
        signal,
      ).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  // The manager's lines (crashes, restarts) come while the app's own sources are followed, and
  // end with them: the manager outlives any one app.
  const manager = new AbortController();
  signal?.addEventListener("abort", () => manager.abort(), { once: true });
  const managerLines = Promise.all(
    [undefined, ALERT_NOTIFIER, LOG_DRAIN_FORWARDER].map((c) =>
      followDynoManagerLog(docker, app, print, manager.signal, c).catch(() => undefined),
    ),
  );
  // A Swarm's dynos from the last line read (or from when this command started).
  const swarmSince = Math.max(startedAt, ...all.filter((l) => l.source.startsWith("app[")).map((l) => Date.parse(l.time) / 1000));
  await Promise.all([
    followSwarmDynoLogs(docker, app, swarmSince, print, signal),
    ...(await logContainers(docker, app)).filter((c) => c.State === "running" || c.Labels[LABEL.role] === "dyno").map(follow),
    ...(route ? [followRouter(docker.getContainer(route.router), route.routes)] : []),
  ]);
  manager.abort();
  await managerLines;
  return 0;
}
