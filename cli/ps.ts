import Docker from "dockerode";
import type { CommandIO } from "./check";
import { parseArgs } from "./args";
import { emulationNote } from "../provider/docker/engine-architecture";
import { swarmDynoServices } from "../provider/engine/cluster-client";
import { LABEL } from "../provider/docker/labels";
import { readAutoscalePolicy } from "../provider/formations/dyno-manager-controller";
import type { AutoscalePolicyFile } from "../provider/dyno-manager/manager-state";

/** One dyno as `dynoform ps` shows it. */
export interface DynoRow {
  app: string;
  dyno: string;
  state: string;
  release: string;
  size: string;
  /** `(arm64, emulated)` when the engine runs the dyno's image through an emulator (Fir on x86-64). */
  emulation?: string;
  startedAt?: Date;
  command: string;
}

/**
 * Heroku's states: up (running), starting, idle (an Eco dyno the dyno manager put to sleep: it
 * stops them with SIGTERM), crashed (any other stop: nobody asked it to, so the dyno manager
 * restarts it after its cool-off). Dynoform removes the dynos it stops, so none is "down".
 */
export function dynoState(dockerState: string, exitCode: number, sleeps = false): string {
  if (dockerState === "running") return "up";
  if (dockerState === "restarting" || dockerState === "created") return "starting";
  if (sleeps && (exitCode === 0 || exitCode === 143)) return "idle";
  return "crashed";
}

/** Docker's label on the containers of a Swarm service's tasks. */
export const SWARM_TASK_LABEL = "com.docker.swarm.task.id";

/** A Swarm task's state as Heroku's: running is up, the steps before it starting, a failure crashed. */
export function taskState(state: string): string {
  if (state === "running") return "up";
  if (["failed", "rejected", "orphaned", "shutdown", "complete", "remove"].includes(state)) return "crashed";
  return "starting";
}

/**
 * On a Swarm manager (`DOCKER_HOST` pointing at it): the dynos are the tasks of the process types'
 * services, on whichever node; the node is shown after the command.
 */
async function swarmRows(docker: Docker, app?: string): Promise<DynoRow[]> {
  const services = await swarmDynoServices(docker, app);
  if (services.length === 0) return [];
  const nodes = new Map((await docker.listNodes()).map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
  const tasks = await docker.listTasks({ filters: { "desired-state": ["running"] } });
  return services.flatMap((s) => {
    const labels = s.Spec?.Labels ?? {};
    const cmd = (s.Spec?.TaskTemplate as { ContainerSpec?: { Command?: string[] } })?.ContainerSpec?.Command ?? [];
    const command = cmd[0] === "/bin/sh" && cmd[1] === "-c" ? cmd.slice(2).join(" ") : cmd.join(" ") || "(image CMD)";
    return tasks
      .filter((t) => t.ServiceID === s.ID)
      .map((t) => ({
        app: labels[LABEL.app],
        dyno: `${labels[LABEL.process]}.${t.Slot}`,
        state: taskState(t.Status?.State ?? ""),
        release: labels[LABEL.release],
        size: labels[LABEL.size],
        startedAt: t.Status?.Timestamp ? new Date(t.Status.Timestamp) : undefined,
        command: `${command}  (on ${nodes.get(t.NodeID ?? "") ?? "?"})`,
      }));
  });
}

/** What `ps` sees of the engine's shared services. */
export interface ServiceStatus {
  /** Whether the dyno manager's container runs (`absent`: there is none). */
  dynoManager: "running" | "stopped" | "absent";
  /** Every router's container and whether it runs. */
  routers: Array<{ name: string; running: boolean }>;
  /** Whether any dyno exists (without dynos no manager is needed). */
  hasDynos: boolean;
}

/** One line per service that is down: what it costs and what to do. */
export function serviceWarnings(s: ServiceStatus): string[] {
  const lines: string[] = [];
  if (s.hasDynos && s.dynoManager !== "running") {
    lines.push(
      `The dyno manager (dynoform-dyno-manager) is ${s.dynoManager === "absent" ? "missing" : "not running"}: crashed dynos are not restarted and Eco apps neither sleep nor wake. ` +
        `Run \`pulumi up\` (it brings it back${s.dynoManager === "stopped" ? ", as does `docker start dynoform-dyno-manager`" : ""}).`,
    );
  }
  for (const r of s.routers.filter((x) => !x.running).sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(
      `The router ${r.name} is not running: its apps get no requests. Run \`docker start ${r.name}\` (the dyno manager starts it within seconds when it runs), or \`pulumi up\`.`,
    );
  }
  return lines;
}

/** The dyno manager's and the routers' containers, as `serviceWarnings` wants them. */
async function serviceStatus(docker: Docker, hasDynos: boolean): Promise<ServiceStatus> {
  const managers = await docker.listContainers({ all: true, filters: { label: ["dynoform.role=dyno-manager"] } });
  const routers = await docker.listContainers({ all: true, filters: { label: ["dynoform.role=router"] } });
  return {
    dynoManager: managers.length === 0 ? "absent" : managers.some((m) => m.State === "running") ? "running" : "stopped",
    routers: routers.map((r) => ({
      name: (r.Names[0] ?? r.Id).replace(/^\//, ""),
      running: r.State === "running" || r.State === "restarting",
    })),
    hasDynos,
  };
}

export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

/** The table, grouped by app then by process type and number (`web.2` before `web.10`). */
export function formatPs(rows: DynoRow[], now: Date): string {
  if (rows.length === 0) return "No dynos.\n";
  const sorted = [...rows].sort((a, b) => {
    const [ta, na] = a.dyno.split(".");
    const [tb, nb] = b.dyno.split(".");
    return a.app.localeCompare(b.app) || ta.localeCompare(tb) || Number(na) - Number(nb);
  });
  const table = [["APP", "DYNO", "STATE", "RELEASE", "SIZE", "UPTIME", "COMMAND"]];
  for (const r of sorted) {
    table.push([
      r.app,
      r.dyno,
      r.state,
      r.release,
      r.emulation ? `${r.size} ${r.emulation}` : r.size,
      r.state === "up" && r.startedAt ? formatUptime(now.getTime() - r.startedAt.getTime()) : "-",
      r.command,
    ]);
  }
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return `${table.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n")}\n`;
}

/**
 * One line per autoscaled process type, as Heroku's `ps` heads a type:
 * `=== api web (performance-m): 3 (autoscaled 1–10, p95 target 300 ms)`.
 */
export function formatAutoscaled(rows: DynoRow[], policies: Map<string, AutoscalePolicyFile>): string {
  const lines: string[] = [];
  for (const [app, p] of [...policies].sort(([a], [b]) => a.localeCompare(b))) {
    const mine = rows.filter((r) => r.app === app && r.dyno.startsWith(`${p.processType}.`));
    const size = mine[0]?.size ?? "?";
    lines.push(`=== ${app} ${p.processType} (${size}): ${mine.length} (autoscaled ${p.min}–${p.max}, p95 target ${p.p95TargetMs} ms)`);
  }
  return lines.length ? `\n${lines.join("\n")}\n` : "";
}

/** `dynoform ps [--app NAME]`: every dyno on this engine (a Swarm's when DOCKER_HOST is its manager), or one app's. */
export async function runPs(args: string[], io: CommandIO, docker = new Docker()): Promise<number> {
  const { flags } = parseArgs(args, ["app"]);
  const label = ["dynoform.role=dyno", ...(typeof flags.app === "string" ? [`dynoform.app=${flags.app}`] : [])];
  // A Swarm task's container is one of the service's dynos: listed once, from its task (swarmRows).
  const list = (await docker.listContainers({ all: true, filters: { label } })).filter((c) => !c.Labels[SWARM_TASK_LABEL]);
  const engineArch = list.length ? String((await docker.info()).Architecture) : "";
  const imageArch = new Map<string, Promise<string>>();
  const archOf = (image: string) => {
    if (!imageArch.has(image))
      imageArch.set(
        image,
        docker
          .getImage(image)
          .inspect()
          .then((i) => i.Architecture)
          .catch(() => ""),
      );
    return imageArch.get(image)!;
  };
  const rows: DynoRow[] = await Promise.all(
    list.map(async (c) => {
      const info = await docker.getContainer(c.Id).inspect();
      const cmd = info.Config.Cmd ?? [];
      return {
        app: c.Labels[LABEL.app],
        dyno: c.Labels[LABEL.dyno],
        state: dynoState(c.State, info.State.ExitCode, "dynoform.sleep-after" in c.Labels),
        release: c.Labels[LABEL.release],
        size: c.Labels[LABEL.size],
        emulation: emulationNote(engineArch, await archOf(info.Image)),
        startedAt: new Date(info.State.StartedAt),
        command: cmd[0] === "/bin/sh" && cmd[1] === "-c" ? cmd.slice(2).join(" ") : cmd.join(" ") || "(image CMD)",
      };
    }),
  );
  rows.push(...(await swarmRows(docker, typeof flags.app === "string" ? flags.app : undefined)));
  io.stdout(formatPs(rows, new Date()));
  const policies = new Map<string, AutoscalePolicyFile>();
  for (const app of new Set(rows.map((r) => r.app))) {
    const p = await readAutoscalePolicy(docker, app);
    if (p) policies.set(app, p);
  }
  io.stdout(formatAutoscaled(rows, policies));
  const warnings = serviceWarnings(await serviceStatus(docker, rows.length > 0));
  if (warnings.length) io.stdout(`\n${warnings.map((w) => `!  ${w}\n`).join("")}`);
  return 0;
}
