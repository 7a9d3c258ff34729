/**
 * Follows every router's request ring (router-config.ts: one line per request, Heroku's format)
 * from the dyno manager, as `dynoform logs --tail` does (router-log.ts) but through the engine's
 * raw socket: `socat` on the router's admin socket in a `docker exec` whose stdin stays open.
 * Each line is parsed (request-line.ts) and handed on with the app its Host routes to
 * (host-routes.ts) and the retention of that app's web dynos, for the metrics store and the
 * recent-requests window that alerts and autoscaling read.
 *
 * A follow ends when the router's worker stops (a reload: the new worker's ring starts empty, so
 * all of it is new) or its container stops (a restart) or the connection drops (the same ring
 * again: lines up to the last one counted are skipped). A router that was already running when
 * the manager started is read from the ring's end (`-n`): what came before, the previous manager
 * counted, and a full ring is 16 MB to read for nothing.
 */
import { execAttached, execOutput, frameDecoder, type DockerSocket } from "../docker/docker-socket";
import { LABEL } from "../docker/labels";
import { appForHost, DOMAIN_CLAIMS_COMMAND, hostRoutes, parseDomainClaims, type HostRoute } from "../router/host-routes";
import { parseRequestLine, type RouterRequest } from "../router/request-line";
import { FOLLOW_NEW_RING_COMMAND, FOLLOW_RING_COMMAND, STOPPING_WORKER_GRACE_MS, WORKER_STOPPING } from "../router/request-ring";
import { ADMIN_SOCKET } from "../router/router-names";
import type { DomainClaim } from "../tls/router-tls";
import { widestRetention, type Retention } from "./metrics-plan";

/** Where each parsed request goes, with its line as the router wrote it (for log drains). */
export type OnRouterRequest = (app: string, retention: Retention, request: RouterRequest, line: string) => void;

interface Listed {
  Id: string;
  Names: string[];
  State: string;
  Labels: Record<string, string>;
}

const filter = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));
/** Requests kept until the next refresh when their app is not known yet. */
const MAX_WAITING = 10_000;
/** How often a router's custom domains are read again. */
const CLAIMS_EVERY_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RouterRequestFollower {
  /** Routers followed now, by container id. */
  private readonly followed = new Set<string>();
  /** Per router id, the stamp of the last line counted (epoch ms). */
  private readonly lastCounted = new Map<string, number>();
  /** Per router name, its routes and a cache of the hosts already looked up. */
  private routes = new Map<string, { routes: HostRoute[]; hosts: Map<string, string | undefined> }>();
  /** Requests whose app was not known at the last refresh (bounded: the rest are dropped). */
  private readonly waiting: Array<{ router: string; r: RouterRequest; line: string }> = [];
  /** Per app, the retention of its web dynos' tier. */
  private retention = new Map<string, Retention>();
  /** Per router id, its domain claims and when they were read: an exec, so once a minute, not every refresh. */
  private readonly claims = new Map<string, { claims: DomainClaim[]; atMs: number }>();

  constructor(
    private readonly docker: DockerSocket,
    private readonly onRequest: OnRouterRequest,
    private readonly log: (message: string) => void,
    private readonly startedAtMs = Date.now(),
  ) {}

  /** Re-reads routes and retentions and follows routers not followed yet; call it every few seconds. */
  async refresh(): Promise<void> {
    const [routers, networks, webDynos] = await Promise.all([
      this.list<Listed>(`/containers/json?filters=${filter({ label: ["dynoform.role=router"], status: ["running"] })}`),
      this.list<{ Labels: Record<string, string> }>(`/networks?filters=${filter({ label: ["dynoform.role=app-network"] })}`),
      this.list<Listed>(`/containers/json?all=true&filters=${filter({ label: ["dynoform.role=dyno", "dynoform.process=web"] })}`),
    ]);
    const byApp = new Map<string, Array<Record<string, string>>>();
    for (const d of webDynos) byApp.set(d.Labels[LABEL.app], [...(byApp.get(d.Labels[LABEL.app]) ?? []), d.Labels]);
    this.retention = new Map([...byApp].map(([app, labels]) => [app, widestRetention(labels)]));
    const routes = new Map<string, { routes: HostRoute[]; hosts: Map<string, string | undefined> }>();
    for (const r of routers) {
      const name = r.Names[0]?.replace(/^\//, "") ?? r.Id;
      const nets = networks.filter((n) => n.Labels[LABEL.router] === name).map((n) => n.Labels);
      routes.set(name, { routes: hostRoutes(nets, await this.claimsOf(r.Id)), hosts: new Map() });
      if (!this.followed.has(r.Id)) {
        this.followed.add(r.Id);
        this.followLoop(r.Id, name)
          .catch((e) => this.log(`following router ${name}'s requests: ${(e as Error).message}`))
          .finally(() => this.followed.delete(r.Id));
      }
    }
    this.routes = routes;
    // Requests that came before their app was known: now it is, or it is no app (the router's "No such app").
    const waiting = this.waiting.splice(0);
    for (const { router, r, line } of waiting) {
      const app = this.appFor(router, r.host);
      if (app !== undefined) this.onRequest(app, this.retention.get(app) ?? "none", r, line);
    }
    const live = new Set(routers.map((r) => r.Id));
    for (const id of [...this.claims.keys()]) if (!live.has(id)) this.claims.delete(id);
  }

  private async claimsOf(id: string): Promise<DomainClaim[]> {
    const known = this.claims.get(id);
    if (known && Date.now() - known.atMs < CLAIMS_EVERY_MS) return known.claims;
    const claims = parseDomainClaims(await execOutput(this.docker, id, DOMAIN_CLAIMS_COMMAND).catch(() => ""));
    this.claims.set(id, { claims, atMs: Date.now() });
    return claims;
  }

  private async list<T>(path: string): Promise<T[]> {
    const { status, body } = await this.docker.request<T[]>("GET", path);
    return status === 200 && Array.isArray(body) ? body : [];
  }

  /** Follows one router until its container stops running. */
  private async followLoop(id: string, name: string): Promise<void> {
    let skipUpTo = this.lastCounted.get(id) ?? this.startedAtMs;
    const started = await this.docker.request<{ State?: { StartedAt: string } }>("GET", `/containers/${id}/json`);
    let onlyNew = !this.lastCounted.has(id) && Date.parse(started.body?.State?.StartedAt ?? "") < this.startedAtMs;
    for (;;) {
      // A follow that cannot start (the router stopping, gone) is judged by the router's state below.
      const reloaded = await this.followOnce(id, name, skipUpTo, onlyNew).catch(() => false);
      onlyNew = false;
      const { status, body } = await this.docker.request<{ State?: { Running: boolean } }>("GET", `/containers/${id}/json`);
      if (status !== 200 || !body.State?.Running) return;
      skipUpTo = reloaded ? 0 : (this.lastCounted.get(id) ?? skipUpTo);
      await sleep(500);
    }
  }

  /** One follow of the router's current worker; true when it ended because the worker stopped (a reload). */
  private async followOnce(id: string, name: string, skipUpTo: number, onlyNew: boolean): Promise<boolean> {
    const conn = await execAttached(this.docker, id, ["socat", "-t", "5", "stdio", `unix-connect:${ADMIN_SOCKET}`]);
    let reloaded = false;
    let text = "";
    return new Promise<boolean>((resolve) => {
      const done = () => resolve(reloaded);
      const onLine = (line: string) => {
        if (WORKER_STOPPING.test(line)) {
          reloaded = true;
          // The stopping worker's last lines still come for a moment; the new worker is followed meanwhile.
          setTimeout(() => conn.destroy(), STOPPING_WORKER_GRACE_MS).unref();
          done();
          return;
        }
        const r = parseRequestLine(line);
        if (!r || r.atMs <= skipUpTo) return;
        if (r.atMs > (this.lastCounted.get(id) ?? 0)) this.lastCounted.set(id, r.atMs);
        this.handOver(name, r, line);
      };
      conn.on(
        "data",
        frameDecoder((t) => {
          // Under load a frame holds hundreds of lines: split once rather than slice line by line.
          const lines = (text + t).split("\n");
          text = lines.pop() ?? "";
          for (const l of lines) onLine(l);
        }),
      );
      conn.on("end", done);
      conn.on("close", done);
      conn.on("error", done);
      conn.write(onlyNew ? FOLLOW_NEW_RING_COMMAND : FOLLOW_RING_COMMAND);
    });
  }

  /**
   * Hands a request on with its app and the app's retention. A request for a host or app the last
   * refresh did not know yet (an app whose first dyno just started) waits for the next refresh.
   */
  private handOver(router: string, r: RouterRequest, line: string): void {
    const app = this.appFor(router, r.host);
    const retention = app === undefined ? undefined : this.retention.get(app);
    if (app !== undefined && retention !== undefined) this.onRequest(app, retention, r, line);
    else if (this.waiting.length < MAX_WAITING) this.waiting.push({ router, r, line });
  }

  private appFor(router: string, host: string): string | undefined {
    const r = this.routes.get(router);
    if (!r) return undefined;
    if (!r.hosts.has(host)) r.hosts.set(host, appForHost(r.routes, host));
    return r.hosts.get(host);
  }
}
