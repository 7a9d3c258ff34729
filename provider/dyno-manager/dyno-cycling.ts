/**
 * Heroku's daily dyno cycling, run by the dyno manager: every dyno is restarted once a day,
 * 24 hours plus a random 0–216 minutes after it started, with Heroku's `Cycling` line. The clock
 * is the container's start: a deploy, a config change, a `dynoform restart` or a crash restart
 * each make a fresh container, so each resets it, as on Heroku. The random part is drawn from the
 * container's id, so a manager restart keeps each dyno's time. Web dynos leave their router
 * before they stop and come back when their fresh container accepts connections, so a
 * formation of two or more web dynos drops no request (their times differ by the random part).
 * A preboot formation's web dyno (label `dynoform.preboot`) is cycled start-first, as a preboot
 * deploy: the fresh container boots beside the old one, the router switches to it, and only then
 * does the old one stop, so even a single web dyno drops nothing.
 * `DYNOFORM_TIME_SCALE` makes the day pass faster (tests).
 *
 * Wired into dyno-manager.ts with two lines; it gets the manager's own `recreate`.
 */
import * as crypto from "node:crypto";
import type { DockerSocket } from "../docker/docker-socket";
import { LABEL } from "../docker/labels";
import { backendName } from "../router/router-names";
import { isUp, serverStatuses } from "../router/router-stats";
import { waitBooted } from "./dyno-boot";
import { cloneDyno } from "./dyno-clone";
import { markStoppedOnPurpose } from "./manager-state";

/** Heroku: 24 h plus up to 216 minutes. */
export const CYCLE_BASE_MS = 24 * 60 * 60 * 1000;
export const CYCLE_JITTER_MS = 216 * 60 * 1000;

/** When a container that started at `startedAtMs` is due to cycle (its jitter drawn from its id). */
export function cycleDueAtMs(id: string, startedAtMs: number, timeScale = 1): number {
  const draw = crypto.createHash("sha256").update(id).digest().readUInt32BE(0) / 0xffffffff;
  return startedAtMs + (CYCLE_BASE_MS + Math.floor(draw * CYCLE_JITTER_MS)) / Math.max(timeScale, 1e-9);
}

/** A dyno as the manager inspects it (the parts cycling needs). */
interface Dyno {
  Id: string;
  Name: string;
  State: { Running: boolean; StartedAt: string; ExitCode: number };
  Config: Record<string, unknown> & { Labels: Record<string, string>; Env?: string[] | null };
  HostConfig: Record<string, unknown>;
  NetworkSettings: { Networks: Record<string, { IPAddress?: string; Aliases?: string[] | null }> };
}

export interface CyclingDeps {
  docker: DockerSocket;
  /** The manager's fresh-container restart (logs `State changed from up to starting`, `Starting process …`). */
  recreate: (info: never, from: "up") => Promise<void>;
  /** The manager's own way to run commands (`;`-separated) on a router's admin socket. */
  routerAdmin: (router: string, commands: string) => Promise<string>;
  /** A platform line of the app (`heroku[web.1]: Cycling`). */
  appLog: (app: string, source: string, text: string) => void;
  /** Puts into a created, not yet started container what its image lacks (the runtime metrics preload). */
  prepare?: (id: string, labels: Record<string, string>) => Promise<void>;
  timeScale: number;
}

const cycling = new Set<string>();

async function routerOf(d: CyclingDeps, app: string): Promise<string | undefined> {
  // A busy engine can fail one call: a web dyno cycled without its router would drop requests.
  for (let i = 0; ; i++) {
    try {
      const { body } = await d.docker.request<{ Labels?: Record<string, string> }>(
        "GET",
        `/networks/dynoform-app-${encodeURIComponent(app)}`,
      );
      return body?.Labels?.[LABEL.router];
    } catch (e) {
      if (i >= 4) throw e;
      await sleep(500);
    }
  }
}

const admin = (d: CyclingDeps, router: string, commands: string[]) => d.routerAdmin(router, commands.join(";"));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `dyno` may leave the router now: some other server serves, or it is the app's only one. */
export function mayLeave(statuses: Map<string, string>, dyno: string): boolean {
  const others = [...statuses].filter(([name]) => name !== dyno);
  return others.length === 0 || others.some(([, status]) => isUp(status));
}

async function statuses(d: CyclingDeps, router: string, app: string): Promise<Map<string, string>> {
  return serverStatuses(await admin(d, router, [`show stat ${backendName(app)} 4 -1`]).catch(() => ""), backendName(app));
}

/** Waits (up to Heroku's 60 s boot timeout) until `ok` holds for the app's backend. */
async function waitFor(d: CyclingDeps, router: string, app: string, ok: (s: Map<string, string>) => boolean): Promise<boolean> {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    if (ok(await statuses(d, router, app))) return true;
    await sleep(250);
  }
  return false;
}

/**
 * Start-first: the fresh container (`<name>.next`, the same config and DNS names) boots beside the
 * old one; the router's server is pointed at it (new requests go there, the old one's finish);
 * the old one gets SIGTERM/30 s/SIGKILL and the fresh one takes the plain name. The router's DNS
 * follow keeps the new address: it is among the name's answers the whole time.
 */
async function prebootCycle(d: CyclingDeps, dyno: Dyno, router: string): Promise<void> {
  const labels = dyno.Config.Labels;
  const [app, name] = [labels[LABEL.app], labels[LABEL.dyno]];
  const containerName = dyno.Name.replace(/^\//, "");
  const aliases: Record<string, string[]> = {};
  for (const [net, ep] of Object.entries(dyno.NetworkSettings.Networks))
    aliases[net] = (ep.Aliases ?? []).filter((a) => !dyno.Id.startsWith(a));
  const index = Number(name.slice(name.lastIndexOf(".") + 1));
  const clone = cloneDyno(
    { name: containerName, config: dyno.Config, hostConfig: dyno.HostConfig, aliases },
    labels[LABEL.process],
    index,
    index,
  );
  d.appLog(app, `heroku[${name}]`, "Cycling");
  const created = await d.docker.request<{ Id: string; message?: string }>(
    "POST",
    `/containers/create?name=${encodeURIComponent(`${containerName}.next`)}`,
    clone.body,
  );
  if (created.status !== 201) throw new Error(`${containerName}.next: ${created.body?.message ?? created.status}`);
  const id = created.body.Id;
  try {
    for (const [net, netAliases] of Object.entries(clone.laterNetworks)) {
      await d.docker.request("POST", `/networks/${encodeURIComponent(net)}/connect`, {
        Container: id,
        EndpointConfig: { Aliases: netAliases },
      });
    }
    await d.prepare?.(id, labels);
    d.appLog(app, `heroku[${name}]`, "State changed from up to starting");
    const started = await d.docker.request<{ message?: string }>("POST", `/containers/${id}/start`);
    if (started.status >= 300) throw new Error(`start: ${started.body?.message ?? started.status}`);
    const network = String(dyno.HostConfig.NetworkMode ?? Object.keys(aliases)[0]);
    const port = Number((clone.body.Env as string[]).find((e) => e.startsWith("PORT="))?.slice(5) || 5000);
    const ip = await waitBooted(d.docker, id, `${containerName}.next`, { network, port, router });
    await admin(d, router, [`set server ${backendName(app)}/${name} addr ${ip}`]);
    d.appLog(app, `heroku[${name}]`, "State changed from starting to up");
  } catch (e) {
    // It did not boot: the old dyno keeps serving and is cycled again on the next round.
    markStoppedOnPurpose(id);
    await d.docker.request("DELETE", `/containers/${id}?force=true`).catch(() => undefined);
    throw new Error(`${containerName}: the preboot of its fresh container failed; the old one keeps serving: ${(e as Error).message}`);
  }
  markStoppedOnPurpose(dyno.Id);
  d.appLog(app, `heroku[${name}]`, "Stopping all processes with SIGTERM");
  await d.docker.request("POST", `/containers/${dyno.Id}/stop?t=30`);
  const stopped = await d.docker.request<Dyno>("GET", `/containers/${dyno.Id}/json`);
  d.appLog(app, `heroku[${name}]`, `Process exited with status ${stopped.body?.State?.ExitCode ?? "?"}`);
  await d.docker.request("DELETE", `/containers/${dyno.Id}?force=true`);
  await d.docker.request("POST", `/containers/${id}/rename?name=${encodeURIComponent(containerName)}`);
}

/** Cycles one dyno: out of the router (web), SIGTERM/30 s/SIGKILL, the manager's fresh container, back in. */
async function cycle(d: CyclingDeps, dyno: Dyno): Promise<void> {
  const labels = dyno.Config.Labels;
  const [app, name] = [labels[LABEL.app], labels[LABEL.dyno]];
  const web = labels[LABEL.process] === "web";
  const router = web ? await routerOf(d, app).catch(() => undefined) : undefined;
  if (router && labels[LABEL.preboot] === "true") return prebootCycle(d, dyno, router);
  const server = `${backendName(app)}/${name}`;
  // Another web dyno may still be booting (its own cycle, a crash restart): leave only when one serves.
  if (router) await waitFor(d, router, app, (s) => mayLeave(s, name));
  d.appLog(app, `heroku[${name}]`, "Cycling");
  if (router) await admin(d, router, [`set server ${server} state maint`]).catch(() => undefined);
  markStoppedOnPurpose(dyno.Id);
  d.appLog(app, `heroku[${name}]`, "Stopping all processes with SIGTERM");
  await d.docker.request("POST", `/containers/${dyno.Id}/stop?t=30`);
  const stopped = await d.docker.request<Dyno>("GET", `/containers/${dyno.Id}/json`);
  d.appLog(app, `heroku[${name}]`, `Process exited with status ${stopped.body.State.ExitCode}`);
  await d.recreate(stopped.body as never, "up");
  if (!router) return;
  const containerName = dyno.Name.replace(/^\//, "");
  const network = `dynoform-app-${app}`;
  for (let i = 0; i < 120; i++) {
    const fresh = await d.docker.request<Dyno>("GET", `/containers/${encodeURIComponent(containerName)}/json`);
    const ip = fresh.body?.NetworkSettings?.Networks?.[network]?.IPAddress;
    if (ip) {
      // Leaving maintenance, HAProxy restores the health from before the stop ("UP/READY") though
      // the fresh process may not listen yet, and a `health down` sent while in maintenance is
      // forgotten: mark it down right after, so only a passed check brings it back, and only then
      // may the app's next dyno leave (under load, both were out at once: H10s in CI).
      const answer = await admin(d, router, [
        `set server ${server} addr ${ip}`,
        `set server ${server} state ready`,
        `set server ${server} health down`,
      ]).catch((e: Error) => e.message);
      if (answer.trim()) process.stdout.write(`${new Date().toISOString()} cycling ${server}: ${answer.trim().replace(/\n+/g, " | ")}\n`);
      await waitFor(d, router, app, (s) => /^UP/.test(s.get(name) ?? ""));
      return;
    }
    await sleep(500);
  }
}

/** One round: every running dyno past its time is cycled (each once, web dynos of an app one at a time). */
export async function cycleDueDynos(d: CyclingDeps, now = Date.now()): Promise<void> {
  const filter = encodeURIComponent(JSON.stringify({ label: ["dynoform.role=dyno"], status: ["running"] }));
  const { body } = await d.docker.request<Array<{ Id: string }>>("GET", `/containers/json?filters=${filter}`);
  const due: Dyno[] = [];
  for (const c of body ?? []) {
    if (cycling.has(c.Id)) continue;
    const info = (await d.docker.request<Dyno>("GET", `/containers/${c.Id}/json`)).body;
    if (info?.State?.Running && now >= cycleDueAtMs(info.Id, Date.parse(info.State.StartedAt), d.timeScale)) due.push(info);
  }
  const byApp = new Map<string, Dyno[]>();
  for (const x of due) byApp.set(x.Config.Labels[LABEL.app], [...(byApp.get(x.Config.Labels[LABEL.app]) ?? []), x]);
  await Promise.all(
    [...byApp.values()].map(async (dynos) => {
      for (const x of dynos) {
        cycling.add(x.Id);
        await cycle(d, x).finally(() => cycling.delete(x.Id));
      }
    }),
  );
}

/** Starts the cycling loop (every 30 s, or faster with a time scale). */
export function startDynoCycling(d: CyclingDeps): void {
  let busy = false;
  const everyMs = Math.max(1000, Math.min(30_000, CYCLE_BASE_MS / d.timeScale / 10));
  setInterval(() => {
    if (busy) return;
    busy = true;
    cycleDueDynos(d)
      .catch((e) => process.stdout.write(`${new Date().toISOString()} cycling: ${(e as Error).message}\n`))
      .finally(() => (busy = false));
  }, everyMs);
}
