/**
 * The dyno manager's side of log drains: gathers the lines of every app that has a drain (its own
 * or its space's) and appends them to each drain's spool (drain-spool.ts), where the drain
 * forwarder picks them up. Three kinds of lines, as Heroku's Logplex gets them:
 *
 * - `app[web.1]`: the dynos' (and release phases', one-off dynos') stdout and stderr, followed
 *   through the engine's socket from each container's start;
 * - `heroku[router]`: the routers' request lines, handed over by the router request follower;
 * - `heroku[web.1]`: the platform's lines the manager writes itself (crashes, restarts, cycling,
 *   idling, R14, scaling).
 *
 * Lines wait in memory for at most a flush interval; then each drain's spool gets them in one append.
 */
import { frameDecoder, type DockerSocket } from "../docker/docker-socket";
import { LABEL } from "../docker/labels";
import { DRAINS_DIR, drainsOf, loadDrainConfigs, spoolDir, type DrainConfig } from "./drain-store";
import { SpoolWriter, type SpoolLimits } from "./drain-spool";
import type { DrainLine } from "./syslog-frame";

interface Listed {
  Id: string;
  Created: number;
  State: string;
  Labels: Record<string, string>;
}

/** The containers whose output is an app's log. */
const LOGGING_ROLES = new Set(["dyno", "release-phase", "one-off"]);
/** Lines kept in memory between flushes (beyond it they count as dropped by the spools' rule). */
const MAX_PENDING = 50_000;

/** `…:00.12Z` → `…:00.120000000Z`: Docker trims trailing zeros; with one width, stamps compare as text. */
export function fixedWidth(time: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(time);
  return m ? `${m[1]}.${(m[2] ?? "").padEnd(9, "0").slice(0, 9)}Z` : time;
}

export class DrainCollector {
  private configs: DrainConfig[] = [];
  /** App → space, from its containers' labels. */
  private readonly spaceOf = new Map<string, string>();
  private readonly writers = new Map<string, SpoolWriter>();
  private pending: Array<{ app: string; line: DrainLine }> = [];
  /** Containers followed now, and the stamp of the last line seen from each (to resume without repeats). */
  private readonly followed = new Set<string>();
  private readonly lastSeen = new Map<string, string>();

  constructor(
    private readonly docker: DockerSocket,
    private readonly limits: SpoolLimits,
    private readonly log: (message: string) => void,
    private readonly dir = DRAINS_DIR,
    private readonly startedAtMs = Date.now(),
  ) {}

  /** Whether any drain is declared (the collector does nothing otherwise). */
  get active(): boolean {
    return this.configs.length > 0;
  }

  /** A line of an app's log; kept only when the app has a drain. */
  add(app: string, source: string, text: string, time: string): void {
    if (!this.active || drainsOf(this.configs, app, this.spaceOf.get(app)).length === 0) return;
    if (this.pending.length < MAX_PENDING) this.pending.push({ app, line: { t: time, s: source, m: text } });
  }

  /** Appends what came since the last flush to the spool of each drain it belongs to. */
  flush(): void {
    const pending = this.pending;
    this.pending = [];
    const byDrain = new Map<string, DrainLine[]>();
    for (const { app, line } of pending) {
      for (const d of drainsOf(this.configs, app, this.spaceOf.get(app))) byDrain.set(d.token, [...(byDrain.get(d.token) ?? []), line]);
    }
    for (const [token, lines] of byDrain) {
      let w = this.writers.get(token);
      if (!w) this.writers.set(token, (w = new SpoolWriter(spoolDir(token, this.dir), this.limits)));
      try {
        w.append(lines);
      } catch (e) {
        this.log(`log drain ${token}: spooling failed: ${(e as Error).message}`);
      }
    }
  }

  /** Re-reads the drains and follows the output of every container of a drained app not followed yet. */
  async refresh(): Promise<void> {
    this.configs = loadDrainConfigs(this.dir);
    const tokens = new Set(this.configs.map((c) => c.token));
    for (const t of [...this.writers.keys()]) if (!tokens.has(t)) this.writers.delete(t);
    if (!this.active) return;
    const filter = encodeURIComponent(JSON.stringify({ label: [`${LABEL.managed}=true`, LABEL.app, LABEL.dyno] }));
    const { status, body } = await this.docker.request<Listed[]>("GET", `/containers/json?filters=${filter}`);
    if (status !== 200 || !Array.isArray(body)) return;
    for (const c of body) {
      if (c.Labels[LABEL.space]) this.spaceOf.set(c.Labels[LABEL.app], c.Labels[LABEL.space]);
    }
    for (const c of body) {
      const app = c.Labels[LABEL.app];
      if (!LOGGING_ROLES.has(c.Labels[LABEL.role]) || this.followed.has(c.Id)) continue;
      if (drainsOf(this.configs, app, this.spaceOf.get(app)).length === 0) continue;
      this.followed.add(c.Id);
      this.follow(c)
        .catch((e) => this.log(`log drains: following ${c.Labels[LABEL.dyno]} of ${app}: ${(e as Error).message}`))
        .finally(() => this.followed.delete(c.Id));
    }
    const live = new Set(body.map((c) => c.Id));
    for (const id of [...this.lastSeen.keys()]) if (!live.has(id) && !this.followed.has(id)) this.lastSeen.delete(id);
  }

  /**
   * Follows one container's output until it ends: from its start when it started since the
   * manager did, else from the manager's start (older lines a previous manager handed on), or
   * from the last line seen when a follow broke off.
   */
  private async follow(c: Listed): Promise<void> {
    const app = c.Labels[LABEL.app];
    const source = `app[${c.Labels[LABEL.dyno]}]`;
    const last = this.lastSeen.get(c.Id);
    const since = last
      ? (Date.parse(last) / 1000).toFixed(3)
      : c.Created * 1000 >= this.startedAtMs
        ? "0"
        : (this.startedAtMs / 1000).toFixed(3);
    let text = "";
    await this.docker.stream(
      `/containers/${c.Id}/logs?follow=1&stdout=1&stderr=1&timestamps=1&since=${since}`,
      frameDecoder((t) => {
        const lines = (text + t).split("\n");
        text = lines.pop() ?? "";
        for (const l of lines) {
          const space = l.indexOf(" ");
          const time = fixedWidth(l.slice(0, space));
          // Docker's `since` is inclusive: a resumed follow starts with the last line seen.
          if (last && time <= last) continue;
          this.lastSeen.set(c.Id, time);
          this.add(app, source, l.slice(space + 1).replace(/\r$/, ""), time);
        }
      }),
    );
  }
}
