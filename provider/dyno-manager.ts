/**
 * The dyno manager: a small daemon in its own container (one per engine, started by the
 * Formation provider) that restarts crashed dynos the way Heroku does — as a fresh container from
 * the release's image, so files a dyno wrote are gone after the restart — with Heroku's
 * cool-offs between crashes. It has the engine's socket and no network at all.
 *
 * A dyno stopped on purpose (by Dynoform or by `docker stop`) gets a `kill` event before it dies;
 * a crash does not, and only crashes are restarted.
 */
import { nextRestart, type CrashHistory } from "./crash-backoff";
import { DockerSocket, type DockerEvent } from "./docker-socket";

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
