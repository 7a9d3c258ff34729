import Docker from "dockerode";
import { demuxToText, lineSink } from "../provider/docker/docker-exec";
import { followRequestLog, readRequestLog } from "../provider/router/router-log";
import { parseArgs } from "./args";
import type { CommandIO } from "./check";

/** One line of an app's log, from any source. */
export interface LogLine {
  /** RFC 3339 with nanoseconds, as Docker stamps it; sorts as text. */
  time: string;
  /** Heroku's prefix: `app[web.1]`, and `router` lines where a source adds them. */
  source: string;
  text: string;
}

/** Where log lines come from; the router's lines are one more source. */
export type LogSource = (docker: Docker, app: string, lines: number) => Promise<LogLine[]>;

/** Splits Docker's `--timestamps` output (`2024-01-01T12:00:00.123456789Z text`) into lines. */
export function parseTimestamped(text: string, source: string): LogLine[] {
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => {
      const space = l.indexOf(" ");
      return { time: l.slice(0, space), source, text: l.slice(space + 1).replace(/\r$/, "") };
    });
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

async function dynoContainers(docker: Docker, app: string) {
  return docker.listContainers({ all: true, filters: { label: ["dynoform.role=dyno", `dynoform.app=${app}`] } });
}

/** Every dyno's stdout and stderr. */
export const dynoLogs: LogSource = async (docker, app, lines) => {
  const containers = await dynoContainers(docker, app);
  const streams = await Promise.all(
    containers.map(async (c) => {
      const raw = (await docker.getContainer(c.Id).logs({ stdout: true, stderr: true, timestamps: true, tail: lines, follow: false })) as unknown as Buffer;
      return parseTimestamped(demuxToText(raw), `app[${c.Labels["dynoform.dyno"]}]`);
    }),
  );
  return mergeLogLines(streams);
};

/** The hostnames an app is served at and the router serving it, from its network's labels. */
async function appRoute(docker: Docker, app: string): Promise<{ router: string; hostnames: string[] } | undefined> {
  const nets = await docker.listNetworks({ filters: { label: ["dynoform.role=app-network", `dynoform.app=${app}`] } });
  const labels = nets[0]?.Labels;
  if (!labels?.["dynoform.router"]) return undefined;
  return { router: labels["dynoform.router"], hostnames: (labels["dynoform.hostname"] ?? "").split(",").filter(Boolean) };
}

/** Keeps the router's lines about this app's hostnames, as Heroku's `heroku[router]` source. */
export function routerLinesFor(lines: LogLine[], hostnames: string[]): LogLine[] {
  const hosts = new Set(hostnames.map((h) => h.toLowerCase()));
  return lines
    .filter((l) => {
      const host = /(?:^| )host=(\S+)/.exec(l.text)?.[1];
      return host !== undefined && hosts.has(host);
    })
    .map((l) => ({ ...l, source: "heroku[router]" }));
}

/** The router's request lines for the app (one per request, Heroku's format). */
export const routerLogs: LogSource = async (docker, app, lines) => {
  const route = await appRoute(docker, app);
  if (!route) return [];
  const raw = await readRequestLog(docker.getContainer(route.router)).catch(() => [] as string[]);
  return routerLinesFor(parseTimestamped(raw.join("\n"), "router"), route.hostnames).slice(-lines);
};

export const LOG_SOURCES: LogSource[] = [dynoLogs, routerLogs];

/** `dynoform logs --app NAME [-n LINES] [--tail]`: the app's log, Heroku style; `--tail` keeps following. */
export async function runLogs(args: string[], io: CommandIO, docker = new Docker()): Promise<number> {
  const { flags } = parseArgs(args, ["app", "n", "num"]);
  const app = flags.app;
  if (typeof app !== "string" || !app) {
    io.stderr("usage: dynoform logs --app NAME [-n LINES] [--tail]\n");
    return 2;
  }
  const lines = Number(flags.n ?? flags.num ?? 100);
  const all = mergeLogLines(await Promise.all(LOG_SOURCES.map((s) => s(docker, app, lines)))).slice(-lines);
  for (const l of all) io.stdout(formatLogLine(l) + "\n");
  if (!flags.tail) return 0;
  const since = Math.floor(Date.now() / 1000);
  const route = await appRoute(docker, app);
  const follow = async (id: string, source: string, keep: (l: LogLine[]) => LogLine[]) => {
    const stream = (await docker.getContainer(id).logs({ stdout: true, stderr: true, timestamps: true, follow: true, since })) as NodeJS.ReadableStream;
    const out = lineSink((line) => {
      for (const l of keep(parseTimestamped(line, source))) io.stdout(formatLogLine(l) + "\n");
    });
    docker.modem.demuxStream(stream, out, out);
    await new Promise((resolve) => stream.on("end", resolve));
  };
  const followRouter = async (router: Docker.Container, hostnames: string[]) => {
    // The follow ends when the router reloads (a deploy); pick the new worker up.
    for (;;) {
      await followRequestLog(router, (line) => {
        for (const l of routerLinesFor(parseTimestamped(line, "router"), hostnames)) io.stdout(formatLogLine(l) + "\n");
      }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  await Promise.all([
    ...(await dynoContainers(docker, app)).map((c) => follow(c.Id, `app[${c.Labels["dynoform.dyno"]}]`, (l) => l)),
    ...(route ? [followRouter(docker.getContainer(route.router), route.hostnames)] : []),
  ]);
  return 0;
}

