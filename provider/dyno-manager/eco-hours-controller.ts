/**
 * Eco dyno hours, run by the dyno manager (the plan is eco-hours.ts). Every round it counts the
 * running time of the engine's Eco dynos (and of Eco apps' one-off dynos) into the month's book on
 * its volume. When the pool is used up it tells every router first (a file router/wake.lua reads,
 * so a request for a sleeping Eco app gets H82 instead of a wake-up), then takes the apps' web
 * dynos out of their routers and stops every Eco dyno on purpose; dynos a deploy starts meanwhile
 * are stopped the next round. When the Eco month turns, the routers are told, worker-only apps
 * (which no request wakes) start again, and web apps wake on their next request as usual.
 *
 * Wired into dyno-manager.ts with a few lines; it gets the manager's own `recreate`.
 */
import { type DockerSocket, execOutput } from "../docker/docker-socket";
import { LABEL } from "../docker/labels";
import { ADMIN_SOCKET, backendName, ECO_POOL_EMPTY_FILE } from "../router/router-names";
import {
  countEcoHours,
  ECO_POOL_HOURS,
  ecoNow,
  ecoSettings,
  nextMonthStartMs,
  openBook,
  poolEmpty,
  type EcoBook,
  type EcoDyno,
  type EcoSettings,
} from "./eco-hours";
import { isStoppedOnPurpose, loadEcoBook, markStoppedOnPurpose, saveEcoReport } from "./manager-state";

/** A container as the engine's inspect gives it (the parts Eco hours need). */
interface Inspected {
  Id: string;
  State: { Running: boolean; StartedAt: string; FinishedAt: string };
  Config: { Labels: Record<string, string> };
}

interface Listed {
  Id: string;
  State: string;
  Labels: Record<string, string>;
}

export interface EcoHoursDeps {
  docker: DockerSocket;
  /** The manager's fresh-container restart, for worker-only apps when the month turns. */
  recreate: (info: never, from: "idle") => Promise<void>;
  /** A line of the app's log (`heroku[web.1]: Idling`). */
  appLog: (app: string, source: string, text: string) => void;
  /** A line of the manager's own log. */
  log: (text: string) => void;
}

const filter = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));
const ms = (iso: string) => Date.parse(iso);

export class EcoHours {
  readonly settings: EcoSettings;
  /** Read from the volume at start (nothing is read or written before). */
  private book: EcoBook | undefined;
  private empty = false;
  /** What each router was last told (by container id): whether the pool is empty. */
  private readonly told = new Map<string, boolean>();
  /** Containers running at the last round: the next one reads when they stopped. */
  private running = new Set<string>();
  private readonly stopping = new Set<string>();
  private busy = false;

  constructor(
    private readonly deps: EcoHoursDeps,
    env: Record<string, string | undefined> = process.env,
  ) {
    let settings: EcoSettings;
    try {
      settings = ecoSettings(env);
    } catch (e) {
      // The provider checks the settings before starting the manager; this is a manager started by hand.
      deps.log(`eco hours: ${(e as Error).message}; using Heroku's ${ECO_POOL_HOURS} h in real time meanwhile`);
      settings = { poolHours: ECO_POOL_HOURS, timeScale: 1, clockStart: "" };
    }
    this.settings = settings;
  }

  /** How often the hours are counted: an Eco minute, between half a second and ten seconds. */
  get intervalMs(): number {
    return Math.max(500, Math.min(10_000, 60_000 / this.settings.timeScale));
  }

  /** Whether the month's pool is used up (the manager then wakes no Eco app). */
  poolEmpty(): boolean {
    return this.empty;
  }

  /** Opens the month's book from the volume and counts from now on, every {@link intervalMs}. */
  start(nowMs = Date.now()): void {
    const book = openBook(loadEcoBook(), this.settings, nowMs);
    this.book = book;
    this.empty = poolEmpty(book, this.settings.poolHours);
    this.save(book, nowMs);
    this.deps.log(
      `eco hours: ${book.month}, pool ${this.settings.poolHours} h, time scale ${this.settings.timeScale}${this.empty ? "; the pool is used up" : ""}`,
    );
    setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.tick()
        .catch((e) => this.deps.log(`eco hours: ${(e as Error).message}`))
        .finally(() => (this.busy = false));
    }, this.intervalMs);
  }

  /** One round: count, then act on the pool's state (routers told first, then dynos). */
  async tick(nowMs = Date.now()): Promise<void> {
    if (!this.book) return;
    const listed = [
      ...(await this.list(["dynoform.role=dyno", `${LABEL.size}=eco`])),
      ...(await this.list(["dynoform.role=one-off", `${LABEL.size}=eco`])),
    ];
    const infos = await Promise.all(listed.filter((c) => c.State === "running" || this.running.has(c.Id)).map((c) => this.inspect(c.Id)));
    const seen = infos.filter((i): i is Inspected => i !== undefined);
    const dynos: EcoDyno[] = seen.map((i) => ({
      app: i.Config.Labels[LABEL.app],
      startedAtMs: ms(i.State.StartedAt),
      finishedAtMs: i.State.Running ? undefined : ms(i.State.FinishedAt),
    }));
    this.running = new Set(seen.filter((i) => i.State.Running).map((i) => i.Id));
    const { book, turned } = countEcoHours(this.book, dynos, nowMs);
    this.book = book;
    this.save(book, nowMs);
    const empty = poolEmpty(book, this.settings.poolHours);
    const resets = new Date(nextMonthStartMs(ecoNow(book.clock, nowMs))).toISOString();
    if (turned) this.deps.log(`eco hours: the Eco month ${book.month} began; the pool of ${this.settings.poolHours} h is full again`);
    if (empty && !this.empty) {
      this.deps.log(`eco hours: the pool of ${this.settings.poolHours} h is used up for ${book.month}; Eco apps sleep until ${resets}`);
    }
    const refilled = this.empty && !empty;
    this.empty = empty;
    await this.tellRouters(book.month);
    if (empty)
      await this.sleepAll(
        listed.filter((c) => c.State === "running"),
        resets,
      );
    if (refilled) await this.startWorkerOnlyApps();
  }

  private save(book: EcoBook, nowMs: number): void {
    saveEcoReport({ ...book, poolHours: this.settings.poolHours, writtenAtEcoMs: ecoNow(book.clock, nowMs) });
  }

  private async list(labels: string[]): Promise<Listed[]> {
    return (await this.deps.docker.request<Listed[]>("GET", `/containers/json?all=true&filters=${filter({ label: labels })}`)).body ?? [];
  }

  private async inspect(id: string): Promise<Inspected | undefined> {
    const r = await this.deps.docker.request<Inspected>("GET", `/containers/${id}/json`);
    return r.status === 200 ? r.body : undefined;
  }

  /** Every router gets the file while the pool is empty (a router made later too), and loses it after. */
  private async tellRouters(month: string): Promise<void> {
    const routers = (
      await this.deps.docker.request<Listed[]>("GET", `/containers/json?filters=${filter({ label: ["dynoform.role=router"] })}`)
    ).body;
    const ids = new Set((routers ?? []).map((r) => r.Id));
    for (const id of this.told.keys()) if (!ids.has(id)) this.told.delete(id);
    for (const id of ids) {
      if (this.told.get(id) === this.empty) continue;
      const cmd = this.empty ? `echo "$1" > ${ECO_POOL_EMPTY_FILE}` : `rm -f ${ECO_POOL_EMPTY_FILE}`;
      await execOutput(this.deps.docker, id, ["sh", "-c", cmd, "sh", month])
        .then(() => this.told.set(id, this.empty))
        .catch((e) => this.deps.log(`eco hours: could not tell router ${id.slice(0, 12)}: ${(e as Error).message}`));
    }
  }

  /** Stops every running Eco dyno on purpose, web dynos out of their router first. */
  private async sleepAll(running: Listed[], resets: string): Promise<void> {
    const byApp = new Map<string, Listed[]>();
    for (const c of running.filter((c) => !this.stopping.has(c.Id))) {
      byApp.set(c.Labels[LABEL.app], [...(byApp.get(c.Labels[LABEL.app]) ?? []), c]);
    }
    for (const [app, dynos] of byApp) {
      const web = dynos.filter((d) => d.Labels["dynoform.role"] === "dyno" && d.Labels[LABEL.process] === "web");
      await this.outOfRouter(
        app,
        web.map((d) => d.Labels[LABEL.dyno]),
      ).catch((e) => this.deps.log(`eco hours: app ${app}: could not take it out of its router: ${(e as Error).message}`));
      for (const d of dynos) {
        this.stopping.add(d.Id);
        markStoppedOnPurpose(d.Id);
        const source = `heroku[${d.Labels[LABEL.dyno]}]`;
        this.deps.appLog(app, source, `Eco dyno hours used up for this month; sleeping until the pool resets at ${resets}`);
        this.deps.appLog(app, source, "Idling");
        this.deps.docker
          .request("POST", `/containers/${d.Id}/stop?t=30`)
          .catch((e) => this.deps.log(`eco hours: stopping ${d.Id.slice(0, 12)}: ${(e as Error).message}`))
          .finally(() => this.stopping.delete(d.Id));
      }
    }
  }

  private async outOfRouter(app: string, webDynos: string[]): Promise<void> {
    if (webDynos.length === 0) return;
    const net = await this.deps.docker.request<{ Labels?: Record<string, string> }>(
      "GET",
      `/networks/dynoform-app-${encodeURIComponent(app)}`,
    );
    const router = net.body?.Labels?.[LABEL.router];
    if (!router) return;
    const commands = webDynos.map((d) => `set server ${backendName(app)}/${d} state maint`).join(";");
    await execOutput(this.deps.docker, router, [
      "sh",
      "-c",
      `printf '%s\\n' "$1" | socat stdio unix-connect:${ADMIN_SOCKET}`,
      "sh",
      commands,
    ]);
  }

  /** Apps with Eco workers and no Eco web dyno never sleep, so no request would wake them: start them. */
  private async startWorkerOnlyApps(): Promise<void> {
    const all = await this.list(["dynoform.role=dyno", `${LABEL.size}=eco`]);
    const withWeb = new Set(all.filter((c) => c.Labels[LABEL.process] === "web").map((c) => c.Labels[LABEL.app]));
    for (const c of all.filter((c) => c.State !== "running" && !withWeb.has(c.Labels[LABEL.app]) && isStoppedOnPurpose(c.Id))) {
      const info = await this.inspect(c.Id);
      if (!info) continue;
      this.deps.log(`eco hours: app ${c.Labels[LABEL.app]}: the pool is full again; starting ${c.Labels[LABEL.dyno]}`);
      await this.deps
        .recreate(info as never, "idle")
        .catch((e) => this.deps.log(`eco hours: starting ${c.Labels[LABEL.dyno]}: ${(e as Error).message}`));
    }
  }
}
