/**
 * Restarts dynos as Heroku's `ps:restart` does, from the `dynoform` command: SIGTERM, up to 30 s,
 * SIGKILL, then a fresh container made from the old one (same release, command, limits, names),
 * as the dyno manager's crash restart does — files the dyno wrote are gone. Web dynos leave the
 * router first (the others serve meanwhile) and come back once they accept connections, one
 * after another, so a formation of two or more web dynos drops no request.
 *
 * The stop is marked for the dyno manager first (no crash), and the fresh container carries the
 * time of the restart (`dynoform.restarted-at`): the manager counts crash cool-offs per release
 * and restart, so a restart starts the cool-off over, as on Heroku; a dyno waiting out a
 * cool-off starts at once. A rollback uses the same swap with another release's image and config.
 */
import type Docker from "dockerode";
import { docker, ignoreNotFound } from "../docker/docker-client";
import { execIn } from "../docker/docker-exec";
import { LABEL, labelFilter } from "../docker/labels";
import { formatManagerLogLine } from "../dyno-manager/manager-log";
import { ADMIN_SOCKET, backendName } from "../router/router-names";
import { isUp, serverStatuses } from "../router/router-stats";
import { routerSettingsOf, syncRouter } from "../router/router-controller";
import { BootError, waitForPort, waitStillRunning } from "./boot-check";
import { DYNO_MANAGER, markStoppedByDynoform } from "./dyno-manager-controller";
import { STOP_GRACE_SECONDS } from "./dyno-driver";
import {
  commandLine,
  freshDynoOptions,
  RESTART_LINES,
  restartTargets,
  type InspectedDyno,
  type ReleaseSwap,
  type RestartCandidate,
  type RestartSelection,
} from "./restart-plan";

/** Where progress goes: the command's output. Heroku's platform lines also go to `dynoform logs`. */
export type RestartReporter = (line: string) => void;

/**
 * Heroku's platform lines (`heroku[web.1]: Restarting`) into the dyno manager's log, where
 * `dynoform logs` reads them beside the manager's own (written to its stdout, as if it had).
 */
export async function platformLog(app: string, dyno: string, texts: string[]): Promise<void> {
  const time = new Date().toISOString();
  const lines = texts.map((text) => formatManagerLogLine({ app, source: `heroku[${dyno}]`, time, text }));
  await execIn(docker().getContainer(DYNO_MANAGER), ["sh", "-c", 'printf "%s\\n" "$@" > /proc/1/fd/1', "sh", ...lines]).catch(
    () => undefined,
  );
}

/** The app's dynos, as a restart picks from them. */
export async function appDynos(app: string): Promise<RestartCandidate[]> {
  const list = await docker().listContainers({ all: true, filters: labelFilter({ [LABEL.role]: "dyno", [LABEL.app]: app }) });
  return list
    .filter((c) => (c.Names[0] ?? "").replace(/^\//, "") === `${app}.${c.Labels[LABEL.dyno]}`)
    .map((c) => ({ id: c.Id, dyno: c.Labels[LABEL.dyno], processType: c.Labels[LABEL.process] }));
}

interface AppRouting {
  router?: string;
  network: string;
  webPort: number;
}

async function routingOf(app: string): Promise<AppRouting> {
  const network = `dynoform-app-${app}`;
  const info = await docker()
    .getNetwork(network)
    .inspect()
    .catch(() => undefined);
  return { router: info?.Labels?.[LABEL.router], network, webPort: Number(info?.Labels?.[LABEL.webPort] ?? 5000) };
}

async function routerAdmin(router: string, commands: string[]): Promise<string> {
  const r = await execIn(docker().getContainer(router), [
    "sh",
    "-c",
    `printf '%s\\n' "$1" | socat stdio unix-connect:${ADMIN_SOCKET}`,
    "sh",
    commands.join(";"),
  ]);
  return r.output;
}

/** Whether the router's health check sees the dyno's server up (after it came back from maintenance). */
async function serverUp(router: string, app: string, dyno: string): Promise<boolean> {
  const csv = await routerAdmin(router, [`show stat ${backendName(app)} 4 -1`]).catch(() => "");
  return isUp(serverStatuses(csv, backendName(app)).get(dyno));
}

/**
 * One dyno: out of the router (web), SIGTERM/30 s/SIGKILL, a fresh container, booted, back in
 * the router. Returns how the old process exited.
 */
export async function restartDyno(
  app: string,
  id: string,
  opts: { swap?: ReleaseSwap; report?: RestartReporter; routing?: AppRouting; reason?: string } = {},
): Promise<{ exitCode: number; container: Docker.Container }> {
  const routing = opts.routing ?? (await routingOf(app));
  const report = opts.report ?? (() => undefined);
  const info = (await docker().getContainer(id).inspect()) as unknown as InspectedDyno & Docker.ContainerInspectInfo;
  const dyno = info.Config.Labels[LABEL.dyno];
  const web = info.Config.Labels[LABEL.process] === "web";
  const log = async (texts: string[]) => {
    for (const t of texts) report(`heroku[${dyno}]: ${t}`);
    await platformLog(app, dyno, texts);
  };
  await log([opts.reason ?? RESTART_LINES.restarting, RESTART_LINES.toStarting(info.State.Running ? "up" : "crashed")]);
  const inRouter = web && routing.router !== undefined;
  if (inRouter) await routerAdmin(routing.router!, [`set server ${backendName(app)}/${dyno} state maint`]).catch(() => undefined);
  let exitCode = info.State.ExitCode;
  if (info.State.Running) {
    await markStoppedByDynoform([id]);
    await log([RESTART_LINES.sigterm]);
    await docker()
      .getContainer(id)
      .stop({ t: STOP_GRACE_SECONDS })
      .catch(() => undefined);
    exitCode = (await docker().getContainer(id).inspect()).State.ExitCode;
    await log([RESTART_LINES.exited(exitCode)]);
  }
  const fresh = freshDynoOptions(info, { restartedAt: new Date().toISOString(), swap: opts.swap });
  await markStoppedByDynoform([id]);
  await docker().getContainer(id).remove({ force: true }).catch(ignoreNotFound);
  const container = await docker().createContainer({ name: fresh.name, ...fresh.create } as Docker.ContainerCreateOptions);
  for (const [network, ep] of Object.entries(fresh.otherNetworks))
    await docker().getNetwork(network).connect({ Container: container.id, EndpointConfig: ep });
  await container.start();
  await log([RESTART_LINES.starting(commandLine(info.Config.Cmd))]);
  if (web) await waitForPort(container, routing.network, routing.webPort, dyno);
  else await waitStillRunning(container, dyno);
  await log([RESTART_LINES.up]);
  if (inRouter) {
    if (opts.swap) {
      // Another release: the router finds the dyno by a DNS name with the release in it, so its
      // config is rendered again (a hitless reload; the new worker starts with every server ready).
      await syncRouter(await routerSettingsOf(routing.router!));
    } else {
      const ip = (await container.inspect()).NetworkSettings.Networks[routing.network]?.IPAddress;
      const server = `${backendName(app)}/${dyno}`;
      await routerAdmin(routing.router!, [...(ip ? [`set server ${server} addr ${ip}`] : []), `set server ${server} state ready`]).catch(
        () => undefined,
      );
    }
    // Back in rotation only when the health check passed: the next web dyno leaves after that.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !(await serverUp(routing.router!, app, dyno))) await new Promise((r) => setTimeout(r, 200));
  }
  return { exitCode, container };
}

/**
 * `dynoform restart`: the chosen dynos (all, one process type, one dyno). Throws with the reason
 * and the fix, before anything changed, when the selection names no dyno of the app.
 */
export async function restartDynos(
  app: string,
  sel: RestartSelection,
  opts: { swap?: ReleaseSwap; report?: RestartReporter; reason?: string } = {},
): Promise<string[]> {
  const plan = restartTargets(app, await appDynos(app), sel);
  if ("error" in plan) throw new Error(plan.error);
  const routing = await routingOf(app);
  const failures: string[] = [];
  const one = (d: RestartCandidate) =>
    restartDyno(app, d.id, { ...opts, routing }).catch((e) => {
      if (!(e instanceof BootError)) throw e;
      failures.push(e.message);
    });
  await Promise.all([
    ...plan.others.map(one),
    (async () => {
      for (const d of plan.web) await one(d);
    })(),
  ]);
  if (failures.length) throw new Error(`app "${app}": ${failures.length} dyno(s) did not come back up.\n${failures.join("\n\n")}`);
  return [...plan.web, ...plan.others].map((d) => d.dyno);
}
