/**
 * The dyno manager: a small daemon in its own container (one per engine, started by the
 * Formation provider) that restarts crashed dynos the way Heroku does — as a fresh container from
 * the release's image, so files a dyno wrote are gone after the restart — with Heroku's
 * cool-offs between crashes. It has the engine's socket and no network at all.
 *
 * A dyno stopped on purpose (by Dynoform or by `docker stop`) gets a `kill` event before it dies;
 * a crash does not, and only crashes are restarted.
 *
 * It also puts idle Eco apps to sleep and wakes them: it follows every router's log, notes the
 * last request per app, stops an app's Eco dynos once idle (provider/idle-controller.ts), and
 * starts them fresh when a router asks (router/wake.lua holds the request meanwhile).
 */
import { nextRestart, type CrashHistory } from "./crash-backoff";
import { DockerSocket, execOutput, followLogLines, type DockerEvent } from "../docker/docker-socket";
import { appsToSleep, ECO_SLEEP_AFTER_SECONDS, wakeRequest, type IdleDyno } from "./idle-controller";
import { ADMIN_SOCKET, backendName } from "../router/router-names";

const docker = new DockerSocket();
const scale = Number(process.env.DYNOFORM_CRASH_BACKOFF_SCALE || 1);
const stoppedOnPurpose = new Map<string, number>();
const history = new Map<string, CrashHistory>();
const pending = new Set<string>();

interface ContainerInfo {
  Id: string;
  Name: string;
  State: { Running: boolean; Restarting: boolean; StartedAt: string; FinishedAt: string; ExitCode: number; OOMKilled: boolean };
  Config: Record<string, unknown> & { Labels: Record<string, string> };
  HostConfig: Record<string, unknown>;
  NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
}

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

async function onDie(id: string): Promise<void> {
  const purposely = stoppedOnPurpose.get(id);
  if (purposely !== undefined) return;
  // Dynoform removes a dyno right after stopping it; give that a moment to happen.
  await new Promise((r) => setTimeout(r, 1000));
  const { status, body: info } = await docker.request<ContainerInfo>("GET", `/containers/${id}/json`);
  if (status !== 200 || info.State.Running || info.State.Restarting || stoppedOnPurpose.has(id)) return;
  const name = info.Name.replace(/^\//, "");
  if (pending.has(name)) return;
  const ranForMs = Date.parse(info.State.FinishedAt) - Date.parse(info.State.StartedAt);
  const decision = nextRestart(history.get(name) ?? { crashes: 0 }, ranForMs, { inSpace: Boolean(info.Config.Labels["dynoform.space"]), scale });
  history.set(name, decision.history);
  log(`dyno ${name} crashed (exit ${info.State.ExitCode}${info.State.OOMKilled ? ", out of memory" : ""}); restarting in ${Math.round(decision.delayMs / 1000)} s (crash ${decision.history.crashes} since the last good start)`);
  pending.add(name);
  setTimeout(() => {
    recreate(info)
      .catch((e) => log(`dyno ${name}: restart failed: ${(e as Error).message}`))
      .finally(() => pending.delete(name));
  }, decision.delayMs);
}

/** A fresh container with the crashed one's name, image, command, env, limits and network names. */
async function recreate(info: ContainerInfo): Promise<void> {
  const name = info.Name.replace(/^\//, "");
  const current = await docker.request<ContainerInfo>("GET", `/containers/${encodeURIComponent(name)}/json`);
  // Gone (scaled down, deploy) or replaced meanwhile: nothing to restart.
  if (current.status !== 200 || current.body.Id !== info.Id) return;
  const endpoints: Record<string, { Aliases: string[] }> = {};
  for (const [net, ep] of Object.entries(info.NetworkSettings.Networks)) {
    endpoints[net] = { Aliases: (ep.Aliases ?? []).filter((a) => !info.Id.startsWith(a)) };
  }
  await docker.request("DELETE", `/containers/${info.Id}?force=true`);
  const created = await docker.request<{ Id: string; message?: string }>("POST", `/containers/create?name=${encodeURIComponent(name)}`, {
    ...info.Config,
    HostConfig: info.HostConfig,
    NetworkingConfig: { EndpointsConfig: endpoints },
  });
  if (created.status !== 201) throw new Error(`create: ${created.body.message ?? created.status}`);
  const started = await docker.request<{ message?: string }>("POST", `/containers/${created.body.Id}/start`);
  if (started.status >= 300) throw new Error(`start: ${started.body?.message ?? started.status}`);
  log(`dyno ${name} restarted as a fresh container`);
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
    const rows = csv.split("\n");
    const header = (rows[0] ?? "").replace(/^# /, "").split(",");
    const [px, lastsess] = [header.indexOf("pxname"), header.indexOf("lastsess")];
    if (px < 0 || lastsess < 0) continue;
    const appOf = new Map([...routerOfApp].filter(([, r]) => r === router).map(([app]) => [backendName(app), app]));
    for (const row of rows.slice(1)) {
      const cols = row.split(",");
      const app = appOf.get(cols[px]);
      const seconds = Number(cols[lastsess]);
      if (app && cols[lastsess] !== "" && seconds >= 0) lastRequest.set(app, Math.max(lastRequest.get(app) ?? 0, Date.now() - seconds * 1000));
    }
  }
}

/** Follows the log of every router on the engine, including ones created later. */
async function followRouters(): Promise<void> {
  const { body } = await docker.request<ListedContainer[]>("GET", `/containers/json?filters=${filter({ label: ["dynoform.role=router"] })}`);
  for (const r of body ?? []) {
    if (followedRouters.has(r.Id)) continue;
    followedRouters.add(r.Id);
    followLogLines(docker, r.Id, onRouterLine)
      .catch(() => undefined)
      .finally(() => followedRouters.delete(r.Id));
  }
}

const routerOfApp = new Map<string, string>();

async function refreshHostnames(): Promise<void> {
  const { body } = await docker.request<Array<{ Labels: Record<string, string> }>>("GET", `/networks?filters=${filter({ label: ["dynoform.role=app-network"] })}`);
  for (const n of body ?? []) {
    if (n.Labels["dynoform.router"]) routerOfApp.set(n.Labels["dynoform.app"], n.Labels["dynoform.router"]);
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
    app: d.Config.Labels["dynoform.app"],
    processType: d.Config.Labels["dynoform.process"],
    running: d.State.Running,
    startedAtMs: Date.parse(d.State.StartedAt),
    sleepAfterSeconds: Number(d.Config.Labels["dynoform.sleep-after"] || ECO_SLEEP_AFTER_SECONDS),
  }));
  for (const app of appsToSleep(idle, lastRequest, Date.now())) {
    log(`app ${app}: no request for its idle time; its Eco dynos go to sleep`);
    const mine = dynos.filter((d) => d.Config.Labels["dynoform.app"] === app && d.State.Running);
    await takeOutOfRouter(app, mine.filter((d) => d.Config.Labels["dynoform.process"] === "web").map((d) => d.Config.Labels["dynoform.dyno"])).catch((e) =>
      log(`app ${app}: could not take it out of its router: ${(e as Error).message}`),
    );
    await Promise.all(mine.map((d) => docker.request("POST", `/containers/${d.Id}/stop?t=30`)));
  }
}

/** Starts a sleeping app's Eco dynos as fresh containers. */
async function wakeApp(app: string): Promise<void> {
  if (waking.has(app)) return;
  waking.add(app);
  try {
    const asleep = (await ecoDynos(app)).filter((d) => !d.State.Running && !pending.has(d.Name.replace(/^\//, "")));
    if (asleep.length === 0) return;
    log(`app ${app}: a request came in; waking ${asleep.length} Eco dyno(s)`);
    lastRequest.set(app, Date.now());
    await Promise.all(asleep.map((d) => recreate(d)));
  } finally {
    waking.delete(app);
  }
}

function onEvent(e: DockerEvent): void {
  if (e.Action === "kill" || e.Action === "stop") stoppedOnPurpose.set(e.Actor.ID, Date.now());
  else if (e.Action === "destroy") stoppedOnPurpose.delete(e.Actor.ID);
  else if (e.Action === "start") stoppedOnPurpose.delete(e.Actor.ID);
  else if (e.Action === "die") onDie(e.Actor.ID).catch((err) => log(`dyno ${e.Actor.ID.slice(0, 12)}: ${(err as Error).message}`));
}

/** After an engine restart every dyno is down and none was stopped on purpose: bring them back. */
async function restartExited(): Promise<void> {
  const filters = encodeURIComponent(JSON.stringify({ label: ["dynoform.role=dyno"], status: ["exited", "created"] }));
  const { body } = await docker.request<Array<{ Id: string }>>("GET", `/containers/json?all=true&filters=${filters}`);
  for (const c of body ?? []) await onDie(c.Id);
}

async function main(): Promise<void> {
  log(`dyno manager started (cool-off scale ${scale})`);
  setInterval(() => {
    followRouters().catch((e) => log(`following routers: ${(e as Error).message}`));
    sleepIdleApps().catch((e) => log(`eco sleeping: ${(e as Error).message}`));
  }, 2000);
  for (;;) {
    const since = Math.floor(Date.now() / 1000);
    const watching = docker.events({ type: ["container"], label: ["dynoform.role=dyno"] }, onEvent);
    await restartExited();
    await watching.catch((e) => log(`event stream ended: ${(e as Error).message}`));
    log(`event stream closed after ${Math.floor(Date.now() / 1000) - since} s; reconnecting`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

if (require.main === module) main();
