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
 * again: lines up to the last one counted are skipped). A router first seen after the manager
 * started is read from the manager's start on: what came before, the previous manager counted.
 */
import { execAttached, execOutput, frameDecoder, type DockerSocket } from "../docker/docker-socket";
import { LABEL } from "../docker/labels";
import { appForHost, DOMAIN_CLAIMS_COMMAND, hostRoutes, parseDomainClaims, type HostRoute } from "../router/host-routes";
import { parseRequestLine, type RouterRequest } from "../router/request-line";
import { FOLLOW_RING_COMMAND, STOPPING_WORKER_GRACE_MS, WORKER_STOPPING } from "../router/request-ring";
import { ADMIN_SOCKET } from "../router/router-names";
import type { DomainClaim } from "../tls/router-tls";
import { widestRetention, type Retention } from "./metrics-plan";

/** Where each parsed request goes. */
export type OnRouterRequest = (app: string, retention: Retention, request: RouterRequest) => void;

interface Listed {
  Id: string;
  Names: string[];
  State: string;
  Labels: Record<string, string>;
}

const filter = (f: Record<string, string[]>) => encodeURIComponent(JSON.stringify(f));
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
    for (;;) {
      const reloaded = await this.followOnce(id, name, skipUpTo);
      const { status, body } = await this.docker.request<{ State?: { Running: boolean } }>("GET", `/containers/${id}/json`);
      if (status !== 200 || !body.State?.Running) return;
      skipUpTo = reloaded ? 0 : (this.lastCounted.get(id) ?? skipUpTo);
      await sleep(500);
    }
  }

  /** One follow of the router's current worker; true when it ended because the worker stopped (a reload). */
  private async followOnce(id: string, name: string, skipUpTo: number): Promise<boolean> {
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
        const app = this.appFor(name, r.host);
        if (app) this.onRequest(app, this.retention.get(app) ?? "none", r);
      };
      conn.on(
        "data",
        frameDecoder((t) => {
          text += t;
          let nl: number;
          while ((nl = text.indexOf("\n")) >= 0) {
            onLine(text.slice(0, nl));
            text = text.slice(nl + 1);
          }
        }),
      );
      conn.on("end", done);
      conn.on("close", done);
      conn.on("error", done);
      conn.write(FOLLOW_RING_COMMAND);
    });
  }

  private appFor(router: string, host: string): string | undefined {
    const r = this.routes.get(router);
    if (!r) return undefined;
    if (!r.hosts.has(host)) r.hosts.set(host, appForHost(r.routes, host));
    return r.hosts.get(host);
  }
}
