import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type Docker from "dockerode";
import { docker, ignoreConflictOrNoop, ignoreNotFound, isNotFound } from "../docker/docker-client";
import { demuxToText, execIn, lineSink, putFiles } from "../docker/docker-exec";
import { buildImage, imageExists } from "../docker/image-build";
import { LABEL, labelFilter } from "../docker/labels";
import { ensureSingletonContainer } from "../docker/singleton-container";
import { parseManagerLogLine } from "../dyno-manager/manager-log";
import { AUTOSCALE_DIR, ECO_HOURS_FILE, STOPS_DIR, type AutoscalePolicyFile } from "../dyno-manager/manager-state";
import { ECO_ENV, ecoSettings, type EcoReportFile } from "../dyno-manager/eco-hours";
import { HOST_CGROUP } from "../dyno-manager/cpu-pressure";
import { ENV } from "../../sdk/settings";
import {
  METRICS_DB,
  metricsQuery,
  routerMetricsQuery,
  runtimeQuery,
  type MetricsRow,
  type RouterRow,
  type RuntimeRow,
} from "../dyno-manager/metrics-store";
import { ALERT_APPS, ALERTS_DIR, alertConfigFile, type AlertConfig } from "../dyno-manager/alert-store";
import { DRAINS_DIR } from "../dyno-manager/drain-store";

/** One dyno manager per engine, whatever the stack or router. */
export const DYNO_MANAGER = "dynoform-dyno-manager";
/**
 * The manager's volume, at /var/lib/dynoform: crash history and stop marks outlive the manager's
 * container (a restart, a new version). Removed with the manager once no dyno is left: both
 * describe dynos, so an engine without dynos has nothing to keep, and destroy leaves nothing.
 */
export const DYNO_MANAGER_VOLUME = "dynoform-dyno-manager-data";
/**
 * The alert notifier (provider/dyno-manager/alert-notifier.ts): the manager's image with another
 * entry point, on Docker's default bridge (egress for webhooks) with no Docker socket. It shares
 * only the alerts volume with the manager: the manager leaves alerts there, the notifier POSTs them.
 */
export const ALERT_NOTIFIER = "dynoform-alert-notifier";
/** The alerts volume (alert-store.ts): app configs with their webhook URLs, the outbox, the firing alerts. */
export const ALERTS_VOLUME = "dynoform-alerts";
/**
 * The log drain forwarder (provider/dyno-manager/drain-forwarder.ts): as the notifier, the
 * manager's image with another entry point, on Docker's default bridge (egress to the drains'
 * receivers) with no Docker socket, sharing only the drains volume with the manager.
 */
export const LOG_DRAIN_FORWARDER = "dynoform-log-drains";
/** The drains volume (drain-store.ts): drain configs with their URLs, and each drain's spool. */
export const DRAINS_VOLUME = "dynoform-log-drains";
/**
 * The image's entry points, relative to `provider/`: the manager, the notifier, the drain
 * forwarder, and the manager on a Swarm (provider/engine/swarm-dyno-manager-service.ts).
 */
const ENTRY_POINTS = ["dyno-manager.js", "alert-notifier.js", "drain-forwarder.js", "swarm-dyno-manager.js"].map((f) =>
  path.join("dyno-manager", f),
);
// sqlite3: the metrics store (provider/dyno-manager/metrics-store.ts).
const DOCKERFILE = `# The Dynoform dyno manager: restarts crashed dynos as fresh containers, keeps their metrics.
FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs sqlite3 && rm -rf /var/lib/apt/lists/*
COPY . /opt/dynoform/
CMD ["node", "/opt/dynoform/dyno-manager/dyno-manager.js"]
`;

/** The compiled `provider/` folder: `dist/provider` in a package, or beside the sources in tests. */
function compiledProviderDir(): string {
  const here = path.resolve(__dirname, "..");
  if (fs.existsSync(path.join(here, "dyno-manager", "dyno-manager.js"))) return here;
  return path.resolve(here, "..", "dist", "provider");
}

/**
 * The files the manager's image carries, relative to `provider/`: its entry points and every
 * module they reach through relative `require`s, found by reading the compiled code, so the
 * image holds what the daemon runs and no list is kept by hand.
 */
export function dynoManagerFiles(root = compiledProviderDir()): string[] {
  const seen = new Set<string>();
  const visit = (rel: string) => {
    if (seen.has(rel)) return;
    seen.add(rel);
    const code = fs.readFileSync(path.join(root, rel), "utf8");
    for (const m of code.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
      const target = path.normalize(path.join(path.dirname(rel), m[1])).replace(/(\.js)?$/, ".js");
      if (target.startsWith("..")) throw new Error(`the dyno manager's ${rel} requires ${m[1]}, outside provider/`);
      visit(target);
    }
  };
  for (const entry of ENTRY_POINTS) visit(entry);
  return [...seen].sort();
}

function imageTag(): string {
  const root = compiledProviderDir();
  const h = crypto.createHash("sha256").update(DOCKERFILE);
  for (const f of dynoManagerFiles(root)) h.update(f).update(fs.readFileSync(path.join(root, f)));
  return `dynoform/dyno-manager:${h.digest("hex").slice(0, 12)}`;
}

async function buildManagerImage(tag: string): Promise<void> {
  const root = compiledProviderDir();
  const context = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-manager-"));
  try {
    fs.writeFileSync(path.join(context, "Dockerfile"), DOCKERFILE);
    for (const f of dynoManagerFiles(root)) {
      fs.mkdirSync(path.join(context, path.dirname(f)), { recursive: true });
      fs.copyFileSync(path.join(root, f), path.join(context, f));
    }
    await buildImage(context, tag, { [LABEL.managed]: "true", [LABEL.component]: "dyno-manager" });
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
}

/** The manager's image on this engine, built when missing; its tag names its code. */
export async function ensureDynoManagerImage(): Promise<string> {
  const tag = imageTag();
  if (!(await imageExists(tag))) await buildManagerImage(tag);
  return tag;
}

const timeScaleEnv = () => `${ENV.timeScale}=${process.env[ENV.timeScale] ?? "1"}`;

/**
 * The Eco hour settings the manager runs with, checked here so a wrong one fails `up` with the
 * fix instead of leaving a manager that counts by defaults. Always passed (empty when unset), so
 * unsetting one replaces a manager that had it.
 */
function ecoEnv(): string[] {
  ecoSettings(process.env);
  return [`${ECO_ENV.poolHours}=${process.env[ECO_ENV.poolHours] ?? ""}`, `${ECO_ENV.clockStart}=${process.env[ECO_ENV.clockStart] ?? ""}`];
}

async function ensureVolume(name: string, role: string): Promise<void> {
  await docker()
    .createVolume({ Name: name, Labels: { [LABEL.managed]: "true", [LABEL.role]: role } })
    .catch(ignoreConflictOrNoop);
}

/** Starts the dyno manager and the alert notifier unless they run already (with the current code). */
export function ensureDynoManager(): Promise<void> {
  return serialized(async () => {
    const tag = imageTag();
    await ensureManager(tag);
    await ensureAlertNotifier(tag);
    // A forwarder runs once a LogDrain asked for one: keep it on the same code as the manager.
    const forwarder = await docker()
      .getContainer(LOG_DRAIN_FORWARDER)
      .inspect()
      .catch(() => undefined);
    if (forwarder && forwarder.Config.Image !== tag) await ensureForwarder(tag);
  });
}

let ensuring: Promise<unknown> = Promise.resolve();
/**
 * One ensure at a time in this process: the providers of a Formation and a LogDrain run side by
 * side in one process, and two ensures racing would each find the manager missing or outdated and
 * replace it under the other (seen in the log drains e2e test).
 */
function serialized<T>(work: () => Promise<T>): Promise<T> {
  const run = ensuring.then(work, work);
  ensuring = run.catch(() => undefined);
  return run;
}

async function ensureManager(tag: string): Promise<void> {
  const env = [
    `DYNOFORM_CRASH_BACKOFF_SCALE=${process.env.DYNOFORM_CRASH_BACKOFF_SCALE ?? "1"}`,
    `${ENV.metricsInterval}=${process.env[ENV.metricsInterval] ?? "20"}`,
    timeScaleEnv(),
    `${ENV.metrics}=${process.env[ENV.metrics] === "off" ? "off" : "on"}`,
    ...ecoEnv(),
    `${ENV.drainBufferLines}=${process.env[ENV.drainBufferLines] || "10000"}`,
  ];
  await ensureSingletonContainer({
    name: DYNO_MANAGER,
    // Older code, another cool-off scale, sampling interval, time scale or Eco setting: replace it.
    matches: (info) => info.Config.Image === tag && env.every((e) => (info.Config.Env ?? []).includes(e)),
    prepare: async () => {
      if (!(await imageExists(tag))) await buildManagerImage(tag);
      await ensureVolume(DYNO_MANAGER_VOLUME, "dyno-manager-data");
      await ensureVolume(ALERTS_VOLUME, "alerts-data");
      await ensureVolume(DRAINS_VOLUME, "log-drains-data");
    },
    create: () => ({
      Image: tag,
      Labels: { [LABEL.managed]: "true", [LABEL.role]: "dyno-manager" },
      Env: env,
      HostConfig: {
        Binds: [
          "/var/run/docker.sock:/var/run/docker.sock",
          `${DYNO_MANAGER_VOLUME}:/var/lib/dynoform`,
          // Read-only: the dynos' CPU pressure (the waiting part of dyno load, cpu-pressure.ts).
          `/sys/fs/cgroup:${HOST_CGROUP}:ro`,
          `${ALERTS_VOLUME}:${ALERTS_DIR}`,
          `${DRAINS_VOLUME}:${DRAINS_DIR}`,
        ],
        // No network: nothing, dynos included, can talk to the manager.
        NetworkMode: "none",
        RestartPolicy: { Name: "always" },
        // Its stdout holds the apps' platform lines for `dynoform logs`: kept, and bounded.
        LogConfig: { Type: "json-file", Config: { "max-size": "20m", "max-file": "5" } },
      },
    }),
  });
}

/**
 * The manager's helpers that talk to the outside (alert webhooks, log drains): one volume shared
 * with the manager, a network with egress, no Docker socket, no capabilities, a read-only root.
 * What they send goes out; nothing comes in (no published port), and no dyno shares the network.
 */
function egressSidecarHostConfig(volume: string, dir: string): Record<string, unknown> {
  return {
    Binds: [`${volume}:${dir}`],
    NetworkMode: "bridge",
    RestartPolicy: { Name: "always" },
    CapDrop: ["ALL"],
    SecurityOpt: ["no-new-privileges"],
    ReadonlyRootfs: true,
    LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "3" } },
  };
}

/** The notifier: the manager's image, the alerts volume only, a network with egress, no Docker socket. */
async function ensureAlertNotifier(tag: string): Promise<void> {
  const env = [timeScaleEnv()];
  await ensureSingletonContainer({
    name: ALERT_NOTIFIER,
    matches: (info) => info.Config.Image === tag && env.every((e) => (info.Config.Env ?? []).includes(e)),
    prepare: () => ensureVolume(ALERTS_VOLUME, "alerts-data"),
    create: () => ({
      Image: tag,
      Cmd: ["node", "/opt/dynoform/dyno-manager/alert-notifier.js"],
      Labels: { [LABEL.managed]: "true", [LABEL.role]: "alert-notifier" },
      Env: env,
      HostConfig: egressSidecarHostConfig(ALERTS_VOLUME, ALERTS_DIR),
    }),
  });
}

/**
 * The drain forwarder: the manager's image, the drains volume only, a network with egress, no
 * Docker socket. Started with the first LogDrain (provider/drains/), not with every manager.
 */
export function ensureLogDrainForwarder(): Promise<void> {
  return serialized(async () => {
    const tag = imageTag();
    await ensureManager(tag);
    await ensureAlertNotifier(tag);
    await ensureForwarder(tag);
  });
}

async function ensureForwarder(tag: string): Promise<void> {
  await ensureSingletonContainer({
    name: LOG_DRAIN_FORWARDER,
    matches: (info) => info.Config.Image === tag,
    prepare: () => ensureVolume(DRAINS_VOLUME, "log-drains-data"),
    create: () => ({
      Image: tag,
      Cmd: ["node", "/opt/dynoform/dyno-manager/drain-forwarder.js"],
      Labels: { [LABEL.managed]: "true", [LABEL.role]: "log-drain-forwarder" },
      HostConfig: egressSidecarHostConfig(DRAINS_VOLUME, DRAINS_DIR),
    }),
  });
}

/**
 * Gives the manager an app's threshold alerts (written into the alerts volume through the
 * manager's container, readable by root only: the webhook URL may hold a token); none removes them.
 */
export async function writeAlertConfig(config: AlertConfig): Promise<void> {
  const container = docker().getContainer(DYNO_MANAGER);
  const file = alertConfigFile(config.app);
  if (Object.keys(config.alerts).length === 0) {
    await execIn(container, ["rm", "-f", path.posix.join(ALERTS_DIR, ALERT_APPS, file)]);
    return;
  }
  await putFiles(container, ALERTS_DIR, { [`${ALERT_APPS}/${file}`]: JSON.stringify(config) }, { private: true });
}

/**
 * Removes the manager, the notifier and the drain forwarder once no dyno and no log drain is left
 * on the engine, so destroy leaves nothing behind (a drain outlives its app's dynos: scaling to 0
 * keeps it, and the last one's delete removes the rest).
 */
export async function removeDynoManagerIfIdle(): Promise<void> {
  const dynos = await docker().listContainers({ all: true, filters: labelFilter({ [LABEL.role]: "dyno" }) });
  if (dynos.length > 0) return;
  if ((await declaredDrains()) > 0) return;
  for (const c of [DYNO_MANAGER, ALERT_NOTIFIER, LOG_DRAIN_FORWARDER])
    await docker().getContainer(c).remove({ force: true }).catch(ignoreNotFound);
  for (const v of [DYNO_MANAGER_VOLUME, ALERTS_VOLUME, DRAINS_VOLUME]) await docker().getVolume(v).remove().catch(ignoreNotFound);
}

/** How many log drains the manager holds (0 when it does not run: its volume is then read by nobody). */
export async function declaredDrains(): Promise<number> {
  const run = await execIn(docker().getContainer(DYNO_MANAGER), [
    "sh",
    "-c",
    'ls "$0" 2>/dev/null | grep -c "^d\\..*\\.json$" || true',
    `${DRAINS_DIR}/drains`,
  ]).catch(() => ({ exitCode: 1, output: "0" }));
  return Number(run.output.trim()) || 0;
}

/** Whether the dyno manager runs: without it crashed dynos stay down and Eco apps never sleep. */
export async function dynoManagerRunning(dockerClient: Docker = docker()): Promise<boolean> {
  const info = await dockerClient
    .getContainer(DYNO_MANAGER)
    .inspect()
    .catch((e) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
  return info?.State.Running === true;
}

/**
 * Marks dynos Dynoform is about to stop on purpose (scale down, deploy): the manager restarts
 * every other stopped dyno as a crash. Without a running manager nobody would restart them anyway.
 */
export async function markStoppedByDynoform(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await execIn(docker().getContainer(DYNO_MANAGER), ["sh", "-c", 'mkdir -p "$0" && cd "$0" && touch "$@"', STOPS_DIR, ...ids]).catch(
    () => undefined,
  );
}

/**
 * Hands an app's autoscaling to the dyno manager (a file on its volume, read at each check), or
 * takes it back (`undefined`). Fails loudly: an autoscaler that did not get the new range would
 * keep scaling by the old one.
 */
export async function writeAutoscalePolicy(app: string, policy: AutoscalePolicyFile | undefined): Promise<void> {
  const file = `${AUTOSCALE_DIR}/${app}.json`;
  const cmd = policy
    ? ["sh", "-c", 'mkdir -p "$(dirname "$0")" && printf %s "$1" > "$0.tmp" && mv -f "$0.tmp" "$0"', file, JSON.stringify(policy)]
    : ["rm", "-f", file];
  const manager = docker().getContainer(DYNO_MANAGER);
  const run = await execIn(manager, cmd).catch((e: Error) => {
    // No manager running (destroy after it was removed or stopped): nothing autoscales, nothing to take back.
    if (!policy) return { exitCode: 0, output: "" };
    throw e;
  });
  if (run.exitCode !== 0) {
    throw new Error(
      `could not hand app "${app}"'s autoscaling to the dyno manager (${file} in ${DYNO_MANAGER}): ${run.output.trim()}. Fix: check that ${DYNO_MANAGER} runs (\`dynoform ps\`), then run \`pulumi up\` again`,
    );
  }
}

/**
 * An app's autoscaling as the dyno manager holds it (for `dynoform ps`), undefined when off.
 */
export async function readAutoscalePolicy(dockerClient: Docker, app: string): Promise<AutoscalePolicyFile | undefined> {
  const { exitCode, output } = await execIn(dockerClient.getContainer(DYNO_MANAGER), ["cat", `${AUTOSCALE_DIR}/${app}.json`]).catch(() => ({
    exitCode: 1,
    output: "",
  }));
  if (exitCode !== 0) return undefined;
  try {
    return JSON.parse(output) as AutoscalePolicyFile;
  } catch {
    return undefined;
  }
}

/**
 * The month's Eco dyno hours as the dyno manager last wrote them (for `dynoform eco`); undefined
 * when the manager does not run or has not counted yet.
 */
export async function readEcoReport(dockerClient: Docker): Promise<EcoReportFile | undefined> {
  const { exitCode, output } = await execIn(dockerClient.getContainer(DYNO_MANAGER), ["cat", ECO_HOURS_FILE]).catch(() => ({
    exitCode: 1,
    output: "",
  }));
  if (exitCode !== 0) return undefined;
  try {
    return JSON.parse(output) as EcoReportFile;
  } catch {
    return undefined;
  }
}

/**
 * The app's lines the dyno manager wrote (manager-log.ts): Heroku's `heroku[web.1]` platform
 * lines (crashes, restarts, idling) and the last output of crashed dynos it replaced, oldest first.
 * For `dynoform logs`; `{ time, source, text }` as cli/logs.ts's LogLine. `container`: the
 * alert notifier writes the same kind of lines (webhook deliveries).
 */
export async function readDynoManagerLog(
  dockerClient: Docker,
  app: string,
  lines: number,
  container = DYNO_MANAGER,
): Promise<Array<{ time: string; source: string; text: string }>> {
  const raw = (await dockerClient
    .getContainer(container)
    .logs({ stdout: true, stderr: false, follow: false, tail: 20_000 })
    .catch(() => Buffer.alloc(0))) as unknown as Buffer;
  return demuxToText(raw)
    .split("\n")
    .map(parseManagerLogLine)
    .filter((l): l is NonNullable<typeof l> => l?.app === app)
    .map(({ time, source, text }) => ({ time, source, text }))
    .slice(-lines);
}

/**
 * Follows the app's new dyno-manager lines (for `dynoform logs --tail`) until the manager's
 * output ends (it was replaced or removed).
 */
export async function followDynoManagerLog(
  dockerClient: Docker,
  app: string,
  onLine: (l: { time: string; source: string; text: string }) => void,
  signal?: AbortSignal,
  container = DYNO_MANAGER,
): Promise<void> {
  const stream = (await dockerClient
    .getContainer(container)
    .logs({ stdout: true, stderr: false, follow: true, since: Math.floor(Date.now() / 1000) })) as NodeJS.ReadableStream & {
    destroy(): void;
  };
  const stop = () => stream.destroy();
  if (signal?.aborted) stop();
  signal?.addEventListener("abort", stop, { once: true });
  const out = lineSink((line) => {
    const l = parseManagerLogLine(line);
    if (l?.app === app) onLine({ time: l.time, source: l.source, text: l.text });
  });
  dockerClient.modem.demuxStream(stream, out, out);
  await new Promise((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", resolve);
  });
  signal?.removeEventListener("abort", stop);
}

/**
 * An app's metric buckets of one resolution since `sinceEpoch` (seconds), read from the manager's
 * store with `sqlite3 -json` in its container. Empty when nothing was stored yet.
 */
export async function readMetrics(
  dockerClient: Docker,
  q: { app: string; processType?: string; res: number; sinceEpoch: number },
): Promise<MetricsRow[]> {
  return queryStore<MetricsRow>(dockerClient, metricsQuery(q));
}

/**
 * An app's language runtime buckets (Node.js dynos on sizes with runtime metrics), as
 * {@link readMetrics}. Empty also before a manager that keeps them has written once.
 */
export async function readRuntimeMetrics(
  dockerClient: Docker,
  q: { app: string; processType?: string; res: number; sinceEpoch: number },
): Promise<RuntimeRow[]> {
  return queryStore<RuntimeRow>(dockerClient, runtimeQuery(q));
}

/** An app's router buckets (requests, response times, errors) of one resolution, oldest first. */
export async function readRouterMetrics(
  dockerClient: Docker,
  q: { app: string; processType?: string; res: number; sinceEpoch: number },
): Promise<RouterRow[]> {
  return queryStore<RouterRow>(dockerClient, routerMetricsQuery(q));
}

/** Rows of a query on the store, run with `sqlite3 -json` in the manager's container. */
async function queryStore<T>(dockerClient: Docker, sql: string): Promise<T[]> {
  const container = dockerClient.getContainer(DYNO_MANAGER);
  // No database yet (no sample so far), or not this table yet (an older manager): nothing to show, not an error.
  const { output, exitCode } = await execIn(container, [
    "sh",
    "-c",
    'test -f "$0" || exit 0; exec sqlite3 -json -cmd ".timeout 5000" "$0" "$1"',
    METRICS_DB,
    sql,
  ]);
  if (exitCode !== 0 && /no such table/.test(output)) return [];
  if (exitCode !== 0) throw new Error(`reading the metrics store (${METRICS_DB} in ${DYNO_MANAGER}) failed: ${output.trim()}`);
  const text = output.trim();
  return text ? (JSON.parse(text) as T[]) : [];
}
