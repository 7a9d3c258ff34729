import Docker from "dockerode";
import type { CommandIO } from "./check";
import { parseArgs } from "./args";

/** One dyno as `dynoform ps` shows it. */
export interface DynoRow {
  app: string;
  dyno: string;
  state: string;
  release: string;
  size: string;
  startedAt?: Date;
  command: string;
}

/** Heroku's states: up (running), crashed (exited with an error), down (stopped), idle (an Eco dyno asleep). */
export function dynoState(dockerState: string, exitCode: number, sleeps = false): string {
  if (dockerState === "running") return "up";
  if (dockerState === "restarting" || dockerState === "created") return "starting";
  if (exitCode === 0 || exitCode === 143) return sleeps ? "idle" : "down";
  return "crashed";
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
    table.push([r.app, r.dyno, r.state, r.release, r.size, r.state === "up" && r.startedAt ? formatUptime(now.getTime() - r.startedAt.getTime()) : "-", r.command]);
  }
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return table.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n") + "\n";
}

/** `dynoform ps [--app NAME]`: every dyno on this engine, or one app's. */
export async function runPs(args: string[], io: CommandIO, docker = new Docker()): Promise<number> {
  const { flags } = parseArgs(args, ["app"]);
  const label = ["dynoform.role=dyno", ...(typeof flags.app === "string" ? [`dynoform.app=${flags.app}`] : [])];
  const list = await docker.listContainers({ all: true, filters: { label } });
  const rows: DynoRow[] = await Promise.all(
    list.map(async (c) => {
      const info = await docker.getContainer(c.Id).inspect();
      const cmd = info.Config.Cmd ?? [];
      return {
        app: c.Labels["dynoform.app"],
        dyno: c.Labels["dynoform.dyno"],
        state: dynoState(c.State, info.State.ExitCode, "dynoform.sleep-after" in c.Labels),
        release: c.Labels["dynoform.release"],
        size: c.Labels["dynoform.size"],
        startedAt: new Date(info.State.StartedAt),
        command: cmd[0] === "/bin/sh" && cmd[1] === "-c" ? cmd.slice(2).join(" ") : cmd.join(" ") || "(image CMD)",
      };
    }),
  );
  io.stdout(formatPs(rows, new Date()));
  return 0;
}
