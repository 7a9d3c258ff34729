/**
 * Web autoscaling, the shell: the dyno manager's part that acts on autoscale-plan.ts's decisions
 * for every app whose Formation declares autoscaling (the provider hands the range over in a file
 * on the manager's volume, manager-state.ts AUTOSCALE_DIR).
 *
 * Scaling up takes the path of `pulumi up` without a provider: a new `<app>.web.<n>` from the
 * running web dyno's container (dyno-clone.ts, as a crashed dyno is restarted), then a boot check
 * asked of the router (the manager has no network: the router connects to the dyno's port), and
 * only then the router sends it requests (HAProxy's runtime API: `add server`, health checks on,
 * `state ready`). The dyno carries the same labels and aliases `up` gives, so the next router
 * update renders it from Docker like any other and the runtime server is replaced by it.
 *
 * Scaling down drains the highest-numbered web dyno in the router (`state drain`: no new request,
 * those in flight finish), takes it out (`maint`), marks it stopped on purpose (so it is no
 * crash), stops it with SIGTERM, 30 s, SIGKILL, and removes it.
 */
import type { DockerSocket } from "../docker/docker-socket";
import { LABEL } from "../docker/labels";
import { backendName } from "../router/router-names";
import { parseShowStat, type StatRow } from "../router/router-stats";
import {
  afterDecision,
  autoscaleWindows,
  maxReachedNotice,
  planAutoscale,
  type AutoscaleDecision,
  type AutoscalePolicy,
  type AutoscaleState,
} from "./autoscale-plan";
import { waitBooted } from "./dyno-boot";
import { cloneDyno } from "./dyno-clone";
import {
  loadAutoscalePolicies,
  loadAutoscaleState,
  markStoppedOnPurpose,
  saveAutoscaleState,
  type AutoscalePolicyFile,
} from "./manager-state";
import type { RequestWindow } from "./request-window";

/** What the "maximum reached" notice carries, for the log and the alert webhook. */
export interface MaxReachedNotice {
  app: string;
  processType: string;
  max: number;
  p95TargetMs: number;
  p95Ms?: number;
  text: string;
  atMs: number;
}

/** What the controller needs from the manager around it. */
export interface AutoscaleDeps {
  docker: DockerSocket;
  /** The routers' recent requests (the manager's one RequestWindow). */
  requests: RequestWindow;
  /** Heroku minutes pass this many times faster (DYNOFORM_TIME_SCALE). */
  timeScale: number;
  /** The router that serves an app, when known. */
  routerOf: (app: string) => string | undefined;
  /** Runs `;`-separated commands on a router's admin socket. */
  routerAdmin: (router: string, commands: string) => Promise<string>;
  /** The manager's own log. */
  log: (message: string) => void;
  /**
   * Puts into a created, not yet started dyno what its image lacks: the runtime metrics preload,
   * which its `NODE_OPTIONS` requires (without it, a Node.js dyno would not start).
   */
  prepare?: (id: string, labels: Record<string, string>) => Promise<void>;
  /** A line of the app's log (`dynoform logs`), as Heroku's platform writes it. */
  appLog: (app: string, source: string, text: string) => void;
  /**
   * Where the "maximum reached" notice goes besides the log (at most once a day per app): the
   * alerts' webhook sender plugs in here (see {@link AutoscaleController.onMaxReached}).
   */
  onMaxReached?: (notice: MaxReachedNotice) => void;
}

interface Listed {
  Id: string;
  Names: string[];
  State: string;
  Labels: Record<string, string>;
}

interface Inspected {
  Id: string;
  Name: string;
  State: { Running: boolean; Restarting: boolean; ExitCode: number };
  Config: Record<string, unknown> & { Labels: Record<string, string>; Env?: string[] | null; Cmd?: string[] | null };
  HostConfig: Record<string, unknown>;
  NetworkSettings: { Networks: Record<string, { Aliases: string[] | null; IPAddress?: string }> };
}

/** How long a draining dyno's requests may take (Heroku's router times out at 30 s). */
const DRAIN_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const filter = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));
const indexOf = (labels: Record<string, string>) => Number((labels[LABEL.dyno] ?? "").split(".")[1]);

export class AutoscaleController {
  private state: Record<string, AutoscaleState> = loadAutoscaleState();
  private readonly busy = new Set<string>();

  constructor(private readonly deps: AutoscaleDeps) {}

  /** How often to look: every 5 s, faster with time scaled (a Heroku minute is then shorter). */
  get intervalMs(): number {
    return Math.max(200, 5000 / this.deps.timeScale);
  }

  /** One look at every autoscaled app; each app's event runs on its own, one at a time. */
  tick(nowMs = Date.now()): void {
    for (const [app, policy] of loadAutoscalePolicies()) {
      if (this.busy.has(app) || (policy.pausedUntilMs ?? 0) > nowMs) continue;
      this.busy.add(app);
      this.check(app, policy, nowMs)
        .catch((e) => this.deps.log(`app ${app}: autoscaling: ${(e as Error).message}`))
        .finally(() => this.busy.delete(app));
    }
  }

  private async check(app: string, policy: AutoscalePolicyFile, nowMs: number): Promise<void> {
    const { docker, requests, timeScale } = this.deps;
    const type = policy.processType;
    const { body } = await docker.request<Listed[]>(
      "GET",
      `/containers/json?all=true&filters=${filter({ label: [`${LABEL.role}=dyno`, `${LABEL.app}=${app}`, `${LABEL.process}=${type}`] })}`,
    );
    const dynos = body ?? [];
    // A deploy runs (`.next`/`.prev` names) or nothing runs yet: that is `up`'s turn.
    if (dynos.length === 0 || dynos.some((d) => d.Names[0] !== `/${app}.${d.Labels[LABEL.dyno]}`)) return;
    const state = this.state[app] ?? {};
    const windows = autoscaleWindows(state, nowMs, timeScale);
    const recent = requests.stats(app, type, windows.upFromMs, nowMs);
    const calm = requests.stats(app, type, windows.downFromMs, nowMs);
    const decision = planAutoscale(state, dynos.length, recent, calm, policy, nowMs, timeScale);
    if (decision.action === "none" && !decision.notice) return;
    this.state = { ...this.state, [app]: afterDecision(state, decision, nowMs) };
    saveAutoscaleState(this.state);
    if (decision.action === "none") return this.maxReached(app, type, policy, recent.p95Ms, nowMs);
    this.deps.log(`app ${app}: autoscaling ${type} ${dynos.length} → ${decision.quantity}: ${decision.reason}`);
    try {
      if (decision.action === "up") await this.scaleUp(app, type, dynos, decision);
      else await this.scaleDown(app, type, dynos, decision);
    } finally {
      // The pacing and the next window count from when the new quantity serves: the requests
      // of the boot (or the drain) say nothing about it.
      this.state = { ...this.state, [app]: afterDecision(this.state[app] ?? {}, decision, Date.now()) };
      saveAutoscaleState(this.state);
    }
  }

  /** The notice: the app's log and the manager's, and the hook (alerts' webhook). */
  private maxReached(app: string, processType: string, policy: AutoscalePolicy, p95Ms: number | undefined, atMs: number): void {
    const text = maxReachedNotice(processType, policy, p95Ms);
    this.deps.log(`app ${app}: ${text}`);
    this.deps.appLog(app, "heroku[autoscaling]", text);
    this.onMaxReached({ app, processType, max: policy.max, p95TargetMs: policy.p95TargetMs, p95Ms, text, atMs });
  }

  /** Sends the "maximum reached" notice on (the alert webhook, once the alerts land); a failure is logged, never thrown. */
  onMaxReached(notice: MaxReachedNotice): void {
    try {
      this.deps.onMaxReached?.(notice);
    } catch (e) {
      this.deps.log(`app ${notice.app}: the max-reached notice's hook failed: ${(e as Error).message}`);
    }
  }

  private async inspect(id: string): Promise<Inspected | undefined> {
    const r = await this.deps.docker.request<Inspected>("GET", `/containers/${encodeURIComponent(id)}/json`);
    return r.status === 200 ? r.body : undefined;
  }

  private async scaleUp(app: string, type: string, dynos: Listed[], decision: AutoscaleDecision & { quantity: number }): Promise<void> {
    const { docker } = this.deps;
    const running = dynos.filter((d) => d.State === "running").sort((a, b) => indexOf(a.Labels) - indexOf(b.Labels));
    if (running.length === 0) throw new Error(`no running ${type} dyno to start web dynos like; waiting for one`);
    const template = await this.inspect(running[0].Id);
    if (!template) return;
    const used = new Set(dynos.map((d) => indexOf(d.Labels)));
    let index = 1;
    while (used.has(index)) index++;
    const aliases: Record<string, string[]> = {};
    for (const [net, ep] of Object.entries(template.NetworkSettings.Networks)) {
      aliases[net] = (ep.Aliases ?? []).filter((a) => !template.Id.startsWith(a));
    }
    const clone = cloneDyno(
      { name: template.Name.replace(/^\//, ""), config: template.Config, hostConfig: template.HostConfig, aliases },
      type,
      indexOf(template.Config.Labels),
      index,
    );
    const dyno = `${type}.${index}`;
    const created = await docker.request<{ Id: string; message?: string }>(
      "POST",
      `/containers/create?name=${encodeURIComponent(clone.name)}`,
      clone.body,
    );
    if (created.status !== 201) throw new Error(`creating ${clone.name}: ${created.body.message ?? created.status}`);
    const id = created.body.Id;
    try {
      for (const [net, netAliases] of Object.entries(clone.laterNetworks)) {
        const joined = await docker.request<{ message?: string }>("POST", `/networks/${encodeURIComponent(net)}/connect`, {
          Container: id,
          EndpointConfig: { Aliases: netAliases },
        });
        if (joined.status >= 300) throw new Error(`joining ${net}: ${joined.body?.message ?? joined.status}`);
      }
      this.deps.appLog(
        app,
        "app[api]",
        `Scaled to ${type}@${decision.quantity}:${template.Config.Labels[LABEL.size] ?? ""} by autoscaling`,
      );
      await this.deps.prepare?.(id, clone.body.Labels as Record<string, string>);
      this.deps.appLog(app, `heroku[${dyno}]`, "State changed from down to starting");
      const started = await docker.request<{ message?: string }>("POST", `/containers/${id}/start`);
      if (started.status >= 300) throw new Error(`starting ${clone.name}: ${started.body?.message ?? started.status}`);
      const network = String(template.HostConfig.NetworkMode ?? Object.keys(aliases)[0]);
      const port = Number((clone.body.Env as string[]).find((e) => e.startsWith("PORT="))?.slice(5) || 5000);
      const router = this.deps.routerOf(app);
      const ip = await waitBooted(docker, id, clone.name, { network, port, router });
      if (router && ip) await this.addToRouter(router, app, dyno, ip, port);
      this.deps.appLog(app, `heroku[${dyno}]`, "State changed from starting to up");
      this.deps.log(`app ${app}: ${clone.name} is up and takes requests`);
    } catch (e) {
      // A dyno that did not boot is taken away again, as `up` removes one that fails its boot check.
      markStoppedOnPurpose(id);
      await docker.request("DELETE", `/containers/${id}?force=true`).catch(() => undefined);
      throw new Error(`${clone.name} did not come up and was removed: ${(e as Error).message}`);
    }
  }

  /**
   * A runtime server in the app's backend, with the same health checks the rendered config gives.
   * A server of that name may be there already (a rendered one, or one this controller drained
   * earlier): it is pointed at the new dyno's address and made ready instead.
   */
  private async addToRouter(router: string, app: string, dyno: string, ip: string, port: number): Promise<void> {
    const server = `${backendName(app)}/${dyno}`;
    const answer = await this.deps.routerAdmin(
      router,
      [
        `add server ${server} ${ip}:${port} check inter 1s fall 2 rise 1`,
        `set server ${server} addr ${ip} port ${port}`,
        `enable health ${server}`,
        `set server ${server} state ready`,
        // A drained server leaves maintenance with its old health ("UP"), and a `health down` sent
        // in maintenance is forgotten: after `ready`, so only a passed check says it serves.
        `set server ${server} health down`,
      ].join("; "),
    );
    const problems = answer
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => /error|unknown|invalid|no such/i.test(l) && !/already exists/i.test(l));
    const row = await this.serverRow(router, app, dyno);
    if (problems.length > 0 || !row || /MAINT/.test(row.status ?? "")) {
      throw new Error(`the router ${router} did not take ${server} (${row?.status ?? "absent"}): ${answer.trim()}`);
    }
  }

  /** One server's row of the router's statistics (`show stat`), by column name. */
  private async serverRow(router: string, app: string, dyno: string): Promise<StatRow | undefined> {
    const csv = await this.deps.routerAdmin(router, "show stat -1 4 -1").catch(() => "");
    return parseShowStat(csv).find((row) => row.pxname === backendName(app) && row.svname === dyno);
  }

  private async scaleDown(app: string, type: string, dynos: Listed[], decision: AutoscaleDecision & { quantity: number }): Promise<void> {
    const { docker } = this.deps;
    const victim = [...dynos].sort((a, b) => indexOf(b.Labels) - indexOf(a.Labels))[0];
    const dyno = victim.Labels[LABEL.dyno];
    const router = this.deps.routerOf(app);
    if (router) await this.drain(router, app, dyno);
    this.deps.appLog(app, "app[api]", `Scaled to ${type}@${decision.quantity}:${victim.Labels[LABEL.size] ?? ""} by autoscaling`);
    this.deps.appLog(app, `heroku[${dyno}]`, "Stopping all processes with SIGTERM");
    markStoppedOnPurpose(victim.Id);
    await docker.request("POST", `/containers/${victim.Id}/stop?t=30`);
    await docker.request("DELETE", `/containers/${victim.Id}?force=true`);
    this.deps.appLog(app, `heroku[${dyno}]`, "State changed from up to down");
    this.deps.log(`app ${app}: ${app}.${dyno} drained and stopped`);
  }

  /** No new request to the dyno; waits (bounded) until the ones it holds are answered, then takes it out. */
  private async drain(router: string, app: string, dyno: string): Promise<void> {
    const server = `${backendName(app)}/${dyno}`;
    await this.deps.routerAdmin(router, `set server ${server} state drain`);
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const row = await this.serverRow(router, app, dyno);
      if (!row || (Number(row.scur || 0) === 0 && Number(row.qcur || 0) === 0)) break;
      await sleep(100);
    }
    await this.deps.routerAdmin(router, `set server ${server} state maint`);
  }
}
