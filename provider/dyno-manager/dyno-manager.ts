/**
 * The dyno manager: a small daemon in its own container (one per engine, started by the
 * Formation provider) that restarts crashed dynos the way Heroku does — as a fresh container from
 * the release's image, so files a dyno wrote are gone after the restart — with Heroku's
 * cool-offs between crashes. It has the engine's socket, no network at all, and a volume
 * (manager-state.ts) for what must outlive it: crash history and stop marks.
 *
 * Heroku's model: a dyno that stops when nobody asked is a crash, whatever stopped it (its own
 * exit, the kernel's OOM killer, `docker kill`, `docker stop`). Dynoform's own stops (scale down,
 * deploy, Eco sleep) mark the dyno first (manager-state.ts STOPS_DIR); only those stay stopped.
 * A dyno stopped by the Docker Engine's shutdown is started again at once and is no crash.
 *
 * Routers are brought back the same way: a router that stops without being removed is started.
 *
 * It also puts idle Eco apps to sleep and wakes them: it follows every router's log, notes the
 * last request per app, stops an app's Eco dynos once idle (provider/idle-controller.ts), and
 * starts them fresh when a router asks (router/wake.lua holds the request meanwhile).
 *
 * Every 20 s it samples each running dyno's memory and load into the metrics store on its volume
 * (metrics-sampler.ts, metrics-store.ts) and logs Heroku's R14 lines for dynos over their quota;
 * Node.js dynos with the runtime metrics preload also give their heap, GC and event-loop delay
 * (runtime-reader.ts).
 *
 * It follows every router's request ring (router-request-follower.ts): each request goes to the
 * recent-requests window alerts and autoscaling read (`requests`), and is counted in memory for
 * the store (router-buckets.ts), written with the next sampling round rather than per request.
 *
 * It judges threshold alerts on the routers' recent requests (alert-controller.ts) and leaves
 * webhooks to the alert notifier's container (alert-notifier.ts): the manager has no network.
 *
 * Its stdout carries Heroku's platform lines for `dynoform logs` (manager-log.ts).
 *
 * For apps with log drains it gathers their dynos' output, router lines and its own platform
 * lines into each drain's spool (drain-collector.ts); the drain forwarder delivers them.
 */
import { crashKey, forgetGone, recordCrash, stoppedWithEngine, type CrashBook } from "./crash-backoff";
import { DockerSocket, execOutput, followLogLines, frameDecoder, type DockerEvent } from "../docker/docker-socket";
import { appsToSleep, ECO_SLEEP_AFTER_SECONDS, wakeRequest, type IdleDyno } from "./idle-controller";
import { crashLines, formatManagerLogLine } from "./manager-log";
import {
  forgetStop,
  isStoppedOnPurpose,
  loadCrashBook,
  loadEngineStop,
  markStoppedOnPurpose,
  saveCrashBook,
  saveEngineStop,
  stopMarks,
} from "./manager-state";
import { ADMIN_SOCKET, backendName } from "../router/router-names";
import { parseShowStat } from "../router/router-stats";
import { LABEL } from "../docker/labels";
import { MetricsSampler } from "./metrics-sampler";
import {
  eventSql,
  pruneSql,
  queryMetrics,
  routerBucketSql,
  runtimeSampleSql,
  sampleSql,
  storedRouterTextSql,
  totalsSql,
  writeMetrics,
  type DynoEvent,
} from "./metrics-store";
import { putPreload, RuntimeReader } from "./runtime-reader";
import { isRetention } from "./metrics-plan";
import { AlertController } from "./alert-controller";
import { enqueueAlert, loadAlertConfig } from "./alert-store";
import { RequestWindow } from "./request-window";
import { AutoscaleController } from "./autoscale-controller";
import { RouterBuffer, withStored, type StoredRouterText } from "./router-buckets";
import { RouterRequestFollower } from "./router-request-follower";
import { startDynoCycling } from "./dyno-cycling";
import { EcoHours } from "./eco-hours-controller";
import { startOneOffMaxLife } from "./one-off-max-life";
import { DrainCollector } from "./drain-collector";
import { spoolLimits } from "./drain-spool";

const docker = new DockerSocket();
const scale = Number(process.env.DYNOFORM_CRASH_BACKOFF_SCALE || 1);
/** Containers waiting out a cool-off, by id (a replacement under the same name is another dyno). */
const pending = new Set<string>();
/** Containers the kernel's OOM killer hit (the `oom` event comes before `die`). */
const outOfMemory = new Set<string>();
let book: CrashBook = loadCrashBook();
/** Set at start from the volume when the engine stopped the manager; cleared after the first scan. */
let engineStopAt: number | undefined = loadEngineStop();
let shuttingDown = false;
/** How many of a crashed dyno's last lines are kept when its container is replaced. */
const KEPT_LINES = 100;
/** Seconds between memory and load samples: Heroku's 20 s; tests speed it up. */
const METRICS_INTERVAL_SECONDS = Number(process.env.DYNOFORM_METRICS_INTERVAL || 20);
/** `off`: no sampling and no following of the routers' requests (the benchmarks' anchor). */
const METRICS_ON = process.env.DYNOFORM_METRICS !== "off";
/** How many times faster than real time alerts and autoscaling run (tests: 60). */
const timeScale = Number(process.env.DYNOFORM_TIME_SCALE || 1) || 1;
/** The routers' recent requests per app and process type: what alerts and autoscaling read. */
const requests = new RequestWindow(10_000 / timeScale, 3_600_000 / timeScale);
/** Requests counted for the store since the last sampling round. */
const routerBuffer = new RouterBuffer();

interface ContainerInfo {
  Id: string;
  Name: string;
  State: { Running: boolean; Restarting: boolean; StartedAt: string; FinishedAt: string; ExitCode: number; OOMKilled: boolean };
  Config: Record<string, unknown> & { Labels: Record<string, string>; Cmd?: string[] | null };
  HostConfig: Record<string, unknown>;
  NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

/** The apps' lines for their log drains (none kept for apps without one). */
const drains = new DrainCollector(docker, spoolLimits(Number(process.env.DYNOFORM_DRAIN_BUFFER_LINES) || undefined), log);

/** A line of the app's log, as Heroku's platform (`heroku[web.1]`) or the dyno (`app[web.1]`) wrote it. */
function appLog(app: string, source: string, text: string, time = new Date().toISOString()): void {
  process.stdout.write(`${formatManagerLogLine({ app, source, time, text })}\n`);
  // A crashed dyno's last output (`app[…]`) reached the drains when the dyno wrote it.
  if (source.startsWith("heroku[")) drains.add(app, source, text, time);
}

async function inspect(id: string): Promise<ContainerInfo | undefined> {
  const { status, body } = await docker.request<ContainerInfo>("GET", `/containers/${encodeURIComponent(id)}/json`);
  return status === 200 ? body : undefined;
}

const stopped = (info: ContainerInfo | undefined): info is ContainerInfo =>
  info !== undefined && !info.State.Running && !info.State.Restarting;

async function onDynoDie(id: string): Promise<void> {
  // Dynoform removes a dyno right after stopping it; give that a moment to happen.
  await sleep(1000);
  if (shuttingDown || pending.has(id) || isStoppedOnPurpose(id)) return;
  const info = await inspect(id);
  if (!stopped(info) || isStoppedOnPurpose(id) || pending.has(id)) return;
  // From here on this stop is being dealt with (a `die` event and the catch-up scan may race).
  pending.add(id);
  const name = info.Name.replace(/^\//, "");
  const labels = info.Config.Labels;
  const [app, dyno] = [labels[LABEL.app], labels[LABEL.dyno]];
  const finishedAt = Date.parse(info.State.FinishedAt);
  let delayMs = 0;
  const withEngine = stoppedWithEngine(finishedAt, engineStopAt);
  if (withEngine) {
    log(`dyno ${name} stopped with the Docker Engine; starting it again (no crash)`);
  } else {
    const crash = {
      app,
      dyno,
      // Per release and restart: `dynoform restart` stamps the fresh container, starting the cool-off over.
      release: `${labels[LABEL.release] ?? ""}${labels[LABEL.restartedAt] ? `@${labels[LABEL.restartedAt]}` : ""}`,
      ranForMs: finishedAt - Date.parse(info.State.StartedAt),
      inSpace: Boolean(labels[LABEL.space]),
      container: id,
      atMs: Date.now(),
    };
    const decision = recordCrash(book, crash, scale);
    book = decision.book;
    saveCrashBook(book);
    delayMs = decision.delayMs;
    if (decision.counted) {
      recordEvent(labels, "crash");
      const oom = info.State.OOMKilled || outOfMemory.has(id);
      for (const text of crashLines(info.State.ExitCode, oom)) appLog(app, `heroku[${dyno}]`, text, info.State.FinishedAt);
    }
    log(
      `dyno ${name} crashed (exit ${info.State.ExitCode}${info.State.OOMKilled || outOfMemory.has(id) ? ", out of memory" : ""}); restarting in ${Math.round(delayMs / 1000)} s (crash ${decision.crashes} of release ${crash.release} since the last good start)`,
    );
  }
  setTimeout(() => {
    recreate(info, withEngine ? "down" : "crashed")
      .catch((e) => log(`dyno ${name}: restart failed: ${(e as Error).message}`))
      .finally(() => pending.delete(id));
  }, delayMs);
}

/** The container's last lines, with Docker's timestamps (`<RFC 3339> <text>`). */
async function lastLines(id: string): Promise<Array<{ time: string; text: string }>> {
  let text = "";
  await docker.stream(
    `/containers/${id}/logs?stdout=1&stderr=1&timestamps=1&tail=${KEPT_LINES}`,
    frameDecoder((t) => (text += t)),
  );
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => ({ time: l.slice(0, l.indexOf(" ")), text: l.slice(l.indexOf(" ") + 1).replace(/\r$/, "") }));
}

/**
 * A fresh container with the old one's name, image, command, env, limits and network names. The
 * old one's last lines go to the manager's log first: `dynoform logs` still shows them after.
 */
async function recreate(info: ContainerInfo, from: "crashed" | "down" | "idle" | "up"): Promise<void> {
  const name = info.Name.replace(/^\//, "");
  const current = await inspect(name);
  // Gone (scaled down, deploy) or replaced meanwhile: nothing to restart.
  if (current?.Id !== info.Id) return;
  const [app, dyno] = [info.Config.Labels[LABEL.app], info.Config.Labels[LABEL.dyno]];
  for (const l of await lastLines(info.Id).catch(() => [])) appLog(app, `app[${dyno}]`, l.text, l.time);
  const endpoints: Record<string, { Aliases: string[] }> = {};
  for (const [net, ep] of Object.entries(info.NetworkSettings.Networks)) {
    endpoints[net] = { Aliases: (ep.Aliases ?? []).filter((a) => !info.Id.startsWith(a)) };
  }
  await docker.request("DELETE", `/containers/${info.Id}?force=true`);
  forgetStop(info.Id);
  const created = await docker.request<{ Id: string; message?: string }>("POST", `/containers/create?name=${encodeURIComponent(name)}`, {
    ...info.Config,
    HostConfig: info.HostConfig,
    NetworkingConfig: { EndpointsConfig: endpoints },
  });
  if (created.status !== 201) throw new Error(`create: ${created.body.message ?? created.status}`);
  // The runtime metrics preload was put into the old container, not its image: put it again.
  if (info.Config.Labels[LABEL.runtimeMetrics]) await putPreload(docker, created.body.Id);
  appLog(app, `heroku[${dyno}]`, `State changed from ${from} to starting`);
  const cmd = info.Config.Cmd ?? [];
  appLog(
    app,
    `heroku[${dyno}]`,
    `Starting process with command \`${cmd[0] === "/bin/sh" && cmd[1] === "-c" ? cmd.slice(2).join(" ") : cmd.join(" ")}\``,
  );
  const started = await docker.request<{ message?: string }>("POST", `/containers/${created.body.Id}/start`);
  if (started.status >= 300) throw new Error(`start: ${started.body?.message ?? started.status}`);
  if (from === "crashed") recordEvent(info.Config.Labels, "restart");
  log(`dyno ${name} restarted as a fresh container`);
}

/**
 * A router that stops without being removed (`docker kill`, `docker stop`, a crash Docker gave up
 * on) is started again: Docker's restart policy skips containers stopped by hand.
 */
async function onRouterDie(id: string): Promise<void> {
  await sleep(1000);
  if (shuttingDown) return;
  const info = await inspect(id);
  if (!stopped(info)) return;
  const name = info.Name.replace(/^\//, "");
  log(`router ${name} stopped (exit ${info.State.ExitCode}) though nobody removed it; starting it again`);
  const started = await docker.request<{ message?: string }>("POST", `/containers/${id}/start`);
  if (started.status >= 300 && started.status !== 304) log(`router ${name}: start failed: ${started.body?.message ?? started.status}`);
}

const lastRequest = new Map<string, number>();
const followedRouters = new Set<string>();
const waking = new Set<string>();
const filter = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));

interface ListedContainer {
  Id: string;
  Names: string[];
  State: string;
  Labels: Record<string, string>;
}

/** Runs commands (`;`-separated) on a router's admin socket and returns its answer. */
function routerAdmin(router: string, commands: string): Promise<string> {
  return execOutput(docker, router, ["sh", "-c", `echo "${commands}" | socat stdio unix-connect:${ADMIN_SOCKET}`]);
}

/** Wake requests come on the routers' stdout (router/wake.lua logs them as warnings). */
function onRouterLine(line: string): void {
  const wake = wakeRequest(line);
  if (wake) wakeApp(wake).catch((e) => log(`app ${wake}: wake failed: ${(e as Error).message}`));
}

/**
 * Notes each app's last request from its router's statistics (`lastsess`: seconds since the
 * backend last got a request; -1 when the worker has seen none since it started).
 */
async function pollLastRequests(): Promise<void> {
  const routers = new Set(routerOfApp.values());
  for (const router of routers) {
    const csv = await routerAdmin(router, "show stat -1 2 -1").catch(() => "");
    const appOf = new Map([...routerOfApp].filter(([, r]) => r === router).map(([app]) => [backendName(app), app]));
    for (const row of parseShowStat(csv)) {
      const app = appOf.get(row.pxname);
      const seconds = Number(row.lastsess);
      if (app && row.lastsess && seconds >= 0) lastRequest.set(app, Math.max(lastRequest.get(app) ?? 0, Date.now() - seconds * 1000));
    }
  }
}

/** Follows the log of every router on the engine, including ones created later. */
async function followRouters(): Promise<void> {
  const { body } = await docker.request<ListedContainer[]>(
    "GET",
    `/containers/json?filters=${filter({ label: ["dynoform.role=router"] })}`,
  );
  for (const r of body ?? []) {
    if (followedRouters.has(r.Id)) continue;
    followedRouters.add(r.Id);
    // From where the last follow of this router ended, or, the first time, from a little before
    // this manager started: a wake request logged in its first seconds (or while a replaced
    // manager was away) would otherwise wait out the router's 75 s and get H20. An app woken
    // twice is harmless; it sleeps again after its idle time.
    const since = routerFollowedUntil.get(r.Id) ?? startedAtMs / 1000 - FOLLOW_SLACK_SECONDS;
    followLogLines(docker, r.Id, onRouterLine, since)
      .catch(() => undefined)
      .finally(() => {
        followedRouters.delete(r.Id);
        routerFollowedUntil.set(r.Id, Date.now() / 1000 - 1);
      });
  }
}

const startedAtMs = Date.now();
const FOLLOW_SLACK_SECONDS = 10;
const routerFollowedUntil = new Map<string, number>();

const routerOfApp = new Map<string, string>();

async function refreshHostnames(): Promise<void> {
  const { body } = await docker.request<Array<{ Labels: Record<string, string> }>>(
    "GET",
    `/networks?filters=${filter({ label: ["dynoform.role=app-network"] })}`,
  );
  for (const n of body ?? []) {
    if (n.Labels[LABEL.router]) routerOfApp.set(n.Labels[LABEL.app], n.Labels[LABEL.router]);
  }
}

/**
 * Takes an app's web servers out of its router (maintenance, through the router's admin socket)
 * before its dynos stop, so no request goes to a stopping dyno; the next one wakes the app.
 */
async function takeOutOfRouter(app: string, webDynos: string[]): Promise<void> {
  const router = routerOfApp.get(app);
  if (!router || webDynos.length === 0) return;
  const commands = webDynos.map((d) => `set server ${backendName(app)}/${d} state maint`).join(";");
  await routerAdmin(router, commands);
}

async function ecoDynos(app?: string): Promise<ContainerInfo[]> {
  const labels = ["dynoform.role=dyno", "dynoform.sleep-after", ...(app ? [`dynoform.app=${app}`] : [])];
  const { body } = await docker.request<ListedContainer[]>("GET", `/containers/json?all=true&filters=${filter({ label: labels })}`);
  const infos = await Promise.all((body ?? []).map((c) => docker.request<ContainerInfo>("GET", `/containers/${c.Id}/json`)));
  return infos.filter((r) => r.status === 200).map((r) => r.body);
}

/** Stops the Eco dynos of every app idle for its sleep time (a stop on purpose: not restarted). */
async function sleepIdleApps(): Promise<void> {
  await refreshHostnames();
  await pollLastRequests();
  const dynos = await ecoDynos();
  const idle: IdleDyno[] = dynos.map((d) => ({
    app: d.Config.Labels[LABEL.app],
    processType: d.Config.Labels[LABEL.process],
    running: d.State.Running,
    startedAtMs: Date.parse(d.State.StartedAt),
    sleepAfterSeconds: Number(d.Config.Labels["dynoform.sleep-after"] || ECO_SLEEP_AFTER_SECONDS),
  }));
  for (const app of appsToSleep(idle, lastRequest, Date.now())) {
    log(`app ${app}: no request for its idle time; its Eco dynos go to sleep`);
    const mine = dynos.filter((d) => d.Config.Labels[LABEL.app] === app && d.State.Running);
    await takeOutOfRouter(
      app,
      mine.filter((d) => d.Config.Labels[LABEL.process] === "web").map((d) => d.Config.Labels[LABEL.dyno]),
    ).catch((e) => log(`app ${app}: could not take it out of its router: ${(e as Error).message}`));
    for (const d of mine) {
      markStoppedOnPurpose(d.Id);
      appLog(app, `heroku[${d.Config.Labels[LABEL.dyno]}]`, "Idling");
    }
    await Promise.all(mine.map((d) => docker.request("POST", `/containers/${d.Id}/stop?t=30`)));
  }
}

/** Starts a sleeping app's Eco dynos (those the manager put to sleep) as fresh containers. */
async function wakeApp(app: string): Promise<void> {
  if (waking.has(app) || ecoHours.poolEmpty()) return;
  waking.add(app);
  try {
    const asleep = (await ecoDynos(app)).filter((d) => !d.State.Running && isStoppedOnPurpose(d.Id) && !pending.has(d.Id));
    if (asleep.length === 0) return;
    log(`app ${app}: a request came in; waking ${asleep.length} Eco dyno(s)`);
    lastRequest.set(app, Date.now());
    await Promise.all(asleep.map((d) => recreate(d, "idle")));
  } finally {
    waking.delete(app);
  }
}

/** A crash or restart in the dyno's metrics (its tier's buckets; nothing on Eco). */
function recordEvent(labels: Record<string, string>, kind: DynoEvent["kind"]): void {
  const retention = labels[LABEL.metrics];
  const event: DynoEvent = {
    app: labels[LABEL.app],
    dyno: labels[LABEL.dyno],
    processType: labels[LABEL.process],
    retention: isRetention(retention) ? retention : "none",
    atMs: Date.now(),
    kind,
  };
  if (event.retention === "none") return;
  const total = { app: event.app, process: event.processType, dyno: event.dyno, labels: "", value: 1 };
  const name = kind === "crash" ? "dyno_crashes_total" : "dyno_restarts_total";
  writeMetrics([eventSql(event), totalsSql([{ ...total, name }])].join("\n")).catch((e) => log(`metrics: ${(e as Error).message}`));
}

const sampler = new MetricsSampler(docker, (app, dyno, text) => appLog(app, `heroku[${dyno}]`, text));
const runtimeReader = new RuntimeReader(docker, METRICS_INTERVAL_SECONDS);
let samplesTaken = 0;

const follower = new RouterRequestFollower(
  docker,
  (app, retention, r, line) => {
    drains.add(app, "heroku[router]", line.slice(line.indexOf(" ") + 1), line.slice(0, line.indexOf(" ")));
    // Router traffic is web traffic.
    requests.record({ app, processType: "web", atMs: r.atMs, serviceMs: r.serviceMs, status: r.status, websocket: r.websocket });
    routerBuffer.add(app, "web", retention, r);
  },
  log,
);

/**
 * One sampling round: memory and load of every running dyno, and the requests the routers served
 * since the last round, into the store in one transaction; R14 lines logged.
 */
async function sampleMetrics(): Promise<void> {
  // The routers' requests are written even when sampling fails this round.
  const samples = await sampler.sample().catch((e) => {
    log(`metrics: sampling the dynos: ${(e as Error).message}`);
    return [];
  });
  const runtime = await runtimeReader.sample().catch((e) => {
    log(`runtime metrics: ${(e as Error).message}`);
    return [];
  });
  const router = routerBuffer.take();
  const stored = await queryMetrics<StoredRouterText>(storedRouterTextSql(router.buckets));
  // Pruning once a minute or so is enough: the windows are hours long.
  const prune = samplesTaken++ % Math.max(1, Math.round(60 / METRICS_INTERVAL_SECONDS)) === 0 ? pruneSql(Date.now()) : "";
  requests.prune(Date.now());
  await writeMetrics(
    [
      sampleSql(samples.filter((s) => s.retention !== "none")),
      runtimeSampleSql(runtime),
      routerBucketSql(withStored(router.buckets, stored)),
      totalsSql(router.totals),
      prune,
    ]
      .filter(Boolean)
      .join("\n"),
  );
}

function onEvent(e: DockerEvent): void {
  const role = e.Actor.Attributes[LABEL.role];
  const report = (what: string) => (err: Error) => log(`${what} ${e.Actor.ID.slice(0, 12)}: ${err.message}`);
  if (e.Action === "oom") outOfMemory.add(e.Actor.ID);
  else if (e.Action === "destroy") {
    outOfMemory.delete(e.Actor.ID);
    forgetStop(e.Actor.ID);
  } else if (e.Action === "die" && role === "dyno") onDynoDie(e.Actor.ID).catch(report("dyno"));
  else if (e.Action === "die" && role === "router") onRouterDie(e.Actor.ID).catch(report("router"));
}

const listContainers = async (labels: string[], status?: string[]) =>
  (
    await docker.request<ListedContainer[]>(
      "GET",
      `/containers/json?all=true&filters=${filter({ label: labels, ...(status ? { status } : {}) })}`,
    )
  ).body ?? [];

/**
 * What happened while the manager was not watching (its own restart, the engine's): stopped
 * dynos not stopped on purpose are crashes (or stopped with the engine), stopped routers start
 * again, and marks and histories of containers gone meanwhile are dropped.
 */
async function catchUp(): Promise<void> {
  const dynos = await listContainers(["dynoform.role=dyno"]);
  const ids = new Set(dynos.map((d) => d.Id));
  for (const mark of stopMarks()) if (!ids.has(mark)) forgetStop(mark);
  book = forgetGone(
    book,
    dynos.map((d) => crashKey(d.Labels[LABEL.app], d.Labels[LABEL.dyno])),
  );
  saveCrashBook(book);
  const routers = await listContainers(["dynoform.role=router"], ["exited"]);
  await Promise.all([...dynos.filter((d) => d.State === "exited").map((d) => onDynoDie(d.Id)), ...routers.map((r) => onRouterDie(r.Id))]);
  // Exits from now on are judged as they come: the engine's shutdown is behind us.
  if (engineStopAt !== undefined) saveEngineStop((engineStopAt = undefined));
}

/**
 * The engine's shutdown sends SIGTERM (Dynoform replaces the manager with SIGKILL): note when, so
 * the dynos stopped with the engine are not counted as crashes when it comes back.
 */
function onSigterm(): void {
  shuttingDown = true;
  saveEngineStop(Date.now());
  log("stopping (the Docker Engine is shutting down, or the manager was stopped); dynos that stop now are no crashes");
  process.exit(0);
}

/** Moves autoscaled apps' web quantity between their min and max (autoscale-controller.ts). */
/** A dyno made from another's config gets the runtime metrics preload its `NODE_OPTIONS` requires. */
async function putPreloadIfNeeded(id: string, labels: Record<string, string>): Promise<void> {
  if (labels[LABEL.runtimeMetrics]) await putPreload(docker, id);
}

const autoscaler = new AutoscaleController({
  docker,
  requests,
  timeScale,
  routerOf: (app) => routerOfApp.get(app),
  routerAdmin,
  log,
  prepare: putPreloadIfNeeded,
  appLog: (app, source, text) => appLog(app, source, text),
  // To the alert webhook when the app has one (the notifier drops it otherwise); the log line is the controller's.
  onMaxReached: (n) => {
    if (!loadAlertConfig(n.app)?.webhookUrl) return;
    enqueueAlert({
      state: "notice",
      app: n.app,
      processType: n.processType,
      metric: "autoscaling-max-reached",
      value: n.p95Ms ?? 0,
      threshold: n.p95TargetMs,
      windowMinutes: 60,
      atMs: n.atMs,
      max: n.max,
    });
  },
});

/** The engine's Eco dyno hour pool (eco-hours-controller.ts): counted here, and no wake-up once used up. */
const ecoHours = new EcoHours({ docker, recreate: recreate as never, appLog, log });

async function main(): Promise<void> {
  process.on("SIGTERM", onSigterm);
  log(
    `dyno manager started (cool-off scale ${scale}; ${METRICS_ON ? `metrics every ${METRICS_INTERVAL_SECONDS} s` : "metrics off"}${engineStopAt ? `; the engine stopped at ${new Date(engineStopAt).toISOString()}` : ""})`,
  );
  setInterval(() => {
    followRouters().catch((e) => log(`following routers: ${(e as Error).message}`));
    sleepIdleApps().catch((e) => log(`eco sleeping: ${(e as Error).message}`));
  }, 2000);
  const alerts = new AlertController(requests, appLog, log, timeScale);
  setInterval(() => alerts.tick(), alerts.intervalMs);
  startDynoCycling({
    docker,
    routerAdmin,
    recreate: recreate as never,
    appLog,
    timeScale,
    prepare: putPreloadIfNeeded,
  });
  ecoHours.start();
  startOneOffMaxLife({ docker, appLog, log, timeScale });
  setInterval(() => drains.refresh().catch((e) => log(`log drains: ${(e as Error).message}`)), 2000);
  setInterval(() => drains.flush(), 250);
  let sampling = false;
  // Web autoscaling reads the routers' requests: with them off it has nothing to go by.
  if (METRICS_ON) setInterval(() => autoscaler.tick(), autoscaler.intervalMs);
  if (METRICS_ON) {
    let refreshing = false;
    const refresh = () => {
      if (refreshing) return;
      refreshing = true;
      follower
        .refresh()
        .catch((e) => log(`following routers' requests: ${(e as Error).message}`))
        .finally(() => (refreshing = false));
    };
    refresh();
    setInterval(refresh, 5000);
  }
  setInterval(() => {
    if (sampling || !METRICS_ON) return;
    sampling = true;
    sampleMetrics()
      .catch((e) => log(`metrics: ${(e as Error).message}`))
      .finally(() => (sampling = false));
  }, METRICS_INTERVAL_SECONDS * 1000);
  for (;;) {
    const since = Math.floor(Date.now() / 1000);
    // Labels in an events filter must all match: take every Dynoform container, sort by role.
    const watching = docker.events({ type: ["container"], label: ["dynoform.managed=true"] }, onEvent);
    await catchUp().catch((e) => log(`catching up: ${(e as Error).message}`));
    await watching.catch((e) => log(`event stream ended: ${(e as Error).message}`));
    log(`event stream closed after ${Math.floor(Date.now() / 1000) - since} s; reconnecting`);
    await sleep(1000);
  }
}

if (require.main === module) main();
