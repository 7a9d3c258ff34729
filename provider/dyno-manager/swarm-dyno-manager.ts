/**
 * The dyno manager on a Swarm: one replica on a manager node, with that node's Docker socket (a
 * manager's API sees every node's services and tasks). It puts idle Eco apps to sleep and wakes
 * them, as the single engine's manager does (dyno-manager.ts), but through services: sleeping is
 * scaling the app's Eco services to 0 (their replicas noted on a label, swarm-eco-sleep.ts), waking
 * is scaling them back.
 *
 * What it goes by is the cluster router's output, read through the service's logs every 2 s (every
 * replica on every edge node): a request line names its app (activity), and a request for an app
 * with no dyno up makes router/wake.lua log a wake line while it holds the request.
 *
 * Crashes stay Swarm's (the service's restart policy): see the README's Clusters section.
 */
import { DockerSocket, frameDecoder } from "../docker/docker-socket";
import { LABEL } from "../docker/labels";
import { asleepReplicas, asleepSpec, awakeSpec, routerRequestApp, swarmAppsToSleep, type EcoService } from "../engine/swarm-eco-sleep";
import { wakeRequest } from "./idle-controller";
import { sinceAfter } from "./log-since";
import { formatManagerLogLine } from "./manager-log";

const docker = new DockerSocket();
const filter = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));

interface Service {
  ID: string;
  Version: { Index: number };
  Spec: Record<string, unknown> & { Name: string; Labels?: Record<string, string>; Mode?: { Replicated?: { Replicas?: number } } };
}

interface Task {
  ServiceID: string;
  Slot?: number;
  Status: { State: string; Timestamp?: string };
}

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

/** A platform line of the app's log (`heroku[web.1]: Idling`), in the single engine's format. */
function appLog(app: string, source: string, text: string): void {
  process.stdout.write(`${formatManagerLogLine({ app, source, time: new Date().toISOString(), text })}\n`);
}

/** Each app's last request seen on a router, or its wake-up. */
const lastRequest = new Map<string, number>();
const waking = new Set<string>();

async function ecoServices(app?: string): Promise<Service[]> {
  const labels = [`${LABEL.role}=dyno`, LABEL.sleepAfter, ...(app ? [`${LABEL.app}=${app}`] : [])];
  const { status, body } = await docker.request<Service[]>("GET", `/services?filters=${filter({ label: labels })}`);
  if (status !== 200) throw new Error(`listing services: ${JSON.stringify(body)}`);
  return body;
}

/** When the newest running dyno of a service started (0 with none). */
async function newestStart(service: Service): Promise<number> {
  const { body } = await docker.request<Task[]>("GET", `/tasks?filters=${filter({ service: [service.ID], "desired-state": ["running"] })}`);
  const running = (body ?? []).filter((t) => t.ServiceID === service.ID && t.Status.State === "running");
  return Math.max(0, ...running.map((t) => Date.parse(t.Status.Timestamp ?? "") || 0));
}

/** Writes a service's spec back; a stale version (the Formation updated it meanwhile) waits for the next round. */
async function updateService(s: Service, spec: Service["Spec"]): Promise<void> {
  const r = await docker.request<{ message?: string }>("POST", `/services/${s.ID}/update?version=${s.Version.Index}`, spec);
  if (r.status !== 200) throw new Error(`service ${s.Spec.Name}: ${r.body?.message ?? r.status}`);
}

/** Scales the Eco services of every app idle for its sleep time to 0 (the web's, and its Eco worker's). */
async function sleepIdleApps(): Promise<void> {
  const services = await ecoServices();
  const seen: EcoService[] = await Promise.all(
    services.map(async (s) => ({
      app: s.Spec.Labels?.[LABEL.app] ?? "",
      processType: s.Spec.Labels?.[LABEL.process] ?? "",
      spec: s.Spec,
      startedAtMs: await newestStart(s),
    })),
  );
  for (const app of swarmAppsToSleep(seen, lastRequest, Date.now())) {
    log(`app ${app}: no request for its idle time; its Eco services scale to 0`);
    for (const s of services.filter((x) => x.Spec.Labels?.[LABEL.app] === app && asleepReplicas(x.Spec) === undefined)) {
      const replicas = s.Spec.Mode?.Replicated?.Replicas ?? 0;
      for (let i = 1; i <= replicas; i++) appLog(app, `heroku[${s.Spec.Labels?.[LABEL.process]}.${i}]`, "Idling");
      await updateService(s, asleepSpec(s.Spec));
    }
  }
}

/** Scales a sleeping app's services back to the replicas they had. */
async function wakeApp(app: string): Promise<void> {
  if (waking.has(app)) return;
  waking.add(app);
  try {
    const asleep = (await ecoServices(app)).filter((s) => asleepReplicas(s.Spec) !== undefined);
    if (asleep.length === 0) return;
    log(`app ${app}: a request came in; waking ${asleep.map((s) => s.Spec.Name).join(", ")}`);
    lastRequest.set(app, Date.now());
    for (const s of asleep) {
      const replicas = asleepReplicas(s.Spec) ?? 0;
      for (let i = 1; i <= replicas; i++)
        appLog(app, `heroku[${s.Spec.Labels?.[LABEL.process]}.${i}]`, "State changed from idle to starting");
      await updateService(s, awakeSpec(s.Spec));
    }
  } finally {
    waking.delete(app);
  }
}

function onRouterLine(line: string): void {
  const wake = wakeRequest(line);
  if (wake) {
    wakeApp(wake).catch((e) => log(`app ${wake}: wake failed: ${(e as Error).message}`));
    return;
  }
  const app = routerRequestApp(line);
  if (app) lastRequest.set(app, Date.now());
}

/** Per router service: where the next read of its output starts (`<seconds>.<nanoseconds>`, Docker's `since`). */
const readSince = new Map<string, string>();
const startedAtS = Date.now() / 1000;
/** A wake line logged just before this manager started (replaced, moved) is still answered. */
const SLACK_SECONDS = 10;

/**
 * Reads what every router service on the cluster wrote since the last read (every replica, on
 * every edge node). Read again each round rather than followed: each read takes in the router's
 * current tasks, which are replaced whenever an app comes or goes. A read that gets no answer in
 * 10 s (a node gone) is given up, and the next round starts from the same place.
 */
async function readRouters(): Promise<void> {
  const { body } = await docker.request<Service[]>("GET", `/services?filters=${filter({ label: [`${LABEL.role}=router`] })}`);
  for (const r of body ?? []) {
    const since = readSince.get(r.ID) ?? `${Math.floor(startedAtS - SLACK_SECONDS)}.000000000`;
    const answer = await docker.binary("GET", `/services/${r.ID}/logs?stdout=1&stderr=1&timestamps=1&since=${since}`);
    if (answer.status !== 200) throw new Error(`router ${r.Spec.Name}: logs: ${answer.body.toString().slice(0, 200)}`);
    let text = "";
    frameDecoder((t) => (text += t))(answer.body);
    let next = since;
    for (const line of text.split("\n")) {
      const space = line.indexOf(" ");
      const after = space > 0 ? sinceAfter(line.slice(0, space)) : undefined;
      if (!after) continue;
      // Replicas' lines come task by task, not in time order; same-width stamps compare as text.
      if (after > next) next = after;
      onRouterLine(line.slice(space + 1));
    }
    readSince.set(r.ID, next);
  }
}

function main(): void {
  log("dyno manager started on the Swarm (Eco sleeping)");
  let reading = false;
  let busy = false;
  setInterval(() => {
    if (!reading) {
      reading = true;
      readRouters()
        .catch((e) => log(`reading the routers' output: ${(e as Error).message}`))
        .finally(() => (reading = false));
    }
    if (busy) return;
    busy = true;
    sleepIdleApps()
      .catch((e) => log(`eco sleeping: ${(e as Error).message}`))
      .finally(() => (busy = false));
  }, 2000);
  process.on("SIGTERM", () => process.exit(0));
}

if (require.main === module) main();
