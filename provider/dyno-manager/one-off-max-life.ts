/**
 * One-off dynos end after their maximum life, as on Heroku: cycling reaches every dyno, one-off
 * dynos included, so none runs longer than 24 hours plus up to 216 minutes; a one-off dyno is
 * never restarted, so its cycle is its end. The dyno manager stops `dynoform run` containers past
 * that time (SIGTERM, 30 s, SIGKILL) with Heroku's platform lines; `dynoform run` then returns the
 * command's status and removes the container, as when the command ends by itself. The random part
 * is drawn from the container's id, so a manager restart keeps each dyno's time.
 * `DYNOFORM_TIME_SCALE` makes the day pass faster (tests).
 *
 * Wired into dyno-manager.ts with one line.
 */
import * as crypto from "node:crypto";
import type { DockerSocket } from "../docker/docker-socket";
import { LABEL } from "../docker/labels";

/** Heroku: a dyno lives at most 24 h plus up to 216 minutes. */
export const ONE_OFF_MAX_LIFE_MS = 24 * 60 * 60 * 1000;
export const ONE_OFF_JITTER_MS = 216 * 60 * 1000;

/** When a one-off dyno that started at `startedAtMs` must end (real ms; its jitter drawn from its id). */
export function oneOffEndsAtMs(id: string, startedAtMs: number, timeScale = 1): number {
  const draw = crypto.createHash("sha256").update(id).digest().readUInt32BE(0) / 0xffffffff;
  return startedAtMs + (ONE_OFF_MAX_LIFE_MS + Math.floor(draw * ONE_OFF_JITTER_MS)) / Math.max(timeScale, 1e-9);
}

/** A running one-off dyno as the engine lists it. */
export interface RunningOneOff {
  id: string;
  app: string;
  dyno: string;
  startedAtMs: number;
}

/** The one-off dynos past their maximum life at `nowMs`. */
export function oneOffsToEnd(dynos: RunningOneOff[], nowMs: number, timeScale = 1): RunningOneOff[] {
  return dynos.filter((d) => Number.isFinite(d.startedAtMs) && nowMs >= oneOffEndsAtMs(d.id, d.startedAtMs, timeScale));
}

/** How often to look: a tenth of the shortest life, between one and thirty seconds. */
export const checkEveryMs = (timeScale: number): number =>
  Math.max(1000, Math.min(30_000, ONE_OFF_MAX_LIFE_MS / Math.max(timeScale, 1e-9) / 10));

export interface OneOffMaxLifeDeps {
  docker: DockerSocket;
  /** A platform line of the app (`heroku[run.1]: Cycling`). */
  appLog: (app: string, source: string, text: string) => void;
  log: (text: string) => void;
  timeScale: number;
}

interface Inspected {
  Id: string;
  State: { Running: boolean; StartedAt: string; ExitCode: number };
  Config: { Labels: Record<string, string> };
}

const ending = new Set<string>();

/** Ends one one-off dyno: Heroku's lines around SIGTERM, 30 s, SIGKILL. */
async function end(d: OneOffMaxLifeDeps, dyno: RunningOneOff): Promise<void> {
  const source = `heroku[${dyno.dyno}]`;
  d.log(`one-off dyno ${dyno.app}.${dyno.dyno} reached its maximum life (24 h plus up to 216 min); stopping it`);
  d.appLog(dyno.app, source, "Cycling");
  d.appLog(dyno.app, source, "Stopping all processes with SIGTERM");
  // Waiting first: `dynoform run` removes the container as soon as the command ends, and the wait still answers.
  const exited = d.docker.request<{ StatusCode?: number }>("POST", `/containers/${dyno.id}/wait?condition=not-running`);
  await d.docker.request("POST", `/containers/${dyno.id}/stop?t=30`);
  const { body } = await exited;
  d.appLog(dyno.app, source, `Process exited with status ${body?.StatusCode ?? "unknown"}`);
  d.appLog(dyno.app, source, "State changed from up to complete");
}

/** One round: every running one-off dyno past its time is stopped (each once). */
export async function endOldOneOffs(d: OneOffMaxLifeDeps, nowMs = Date.now()): Promise<void> {
  const filter = encodeURIComponent(JSON.stringify({ label: ["dynoform.role=one-off"], status: ["running"] }));
  const { body } = await d.docker.request<Array<{ Id: string }>>("GET", `/containers/json?filters=${filter}`);
  const running: RunningOneOff[] = [];
  for (const c of body ?? []) {
    if (ending.has(c.Id)) continue;
    const info = await d.docker.request<Inspected>("GET", `/containers/${c.Id}/json`);
    if (info.status !== 200 || !info.body.State.Running) continue;
    const labels = info.body.Config.Labels;
    running.push({ id: c.Id, app: labels[LABEL.app], dyno: labels[LABEL.dyno], startedAtMs: Date.parse(info.body.State.StartedAt) });
  }
  await Promise.all(
    oneOffsToEnd(running, nowMs, d.timeScale).map((x) => {
      ending.add(x.id);
      return end(d, x)
        .catch((e) => d.log(`one-off dyno ${x.app}.${x.dyno}: could not stop it: ${(e as Error).message}`))
        .finally(() => ending.delete(x.id));
    }),
  );
}

/** Starts the loop that ends one-off dynos past their maximum life. */
export function startOneOffMaxLife(d: OneOffMaxLifeDeps): void {
  let busy = false;
  setInterval(() => {
    if (busy) return;
    busy = true;
    endOldOneOffs(d)
      .catch((e) => d.log(`one-off dynos: ${(e as Error).message}`))
      .finally(() => (busy = false));
  }, checkEveryMs(d.timeScale));
}
