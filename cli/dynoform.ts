#!/usr/bin/env node
import { defaultIO, runCheck, type CommandIO } from "./check";
import { runDashboard } from "./dashboard";
import { runEco } from "./eco";
import { runLogs } from "./logs";
import { runMaintenance } from "./maintenance";
import { runMetrics } from "./metrics";
import { runPs } from "./ps";
import { runReleases, runRollback } from "./releases";
import { runRestart } from "./restart";
import { runRun } from "./run";

type Command = { summary: string; run: (args: string[], io: CommandIO) => Promise<number> };

/** Every `dynoform <command>`; a new command is one more entry. */
const COMMANDS: Record<string, Command> = {
  check: { summary: "validate a formation file (JSON or YAML) against the tier rules", run: runCheck },
  ps: { summary: "list dynos: state, release, size, uptime (--app NAME)", run: (a, io) => runPs(a, io) },
  logs: {
    summary: "an app's log: dynos, release phase and router, by time (--app NAME [-n N] [--tail] [--dyno D] [--source S] [--type T])",
    run: (a, io) => runLogs(a, io),
  },
  metrics: {
    summary: "memory, load, crashes and restarts per dyno, with a chart per series (--app NAME [--type T] [--since 2h])",
    run: (a, io) => runMetrics(a, io),
  },
  dashboard: {
    summary: "the Metrics page, its JSON API and a Prometheus endpoint on this machine (--listen 127.0.0.1:9190)",
    run: (a, io) => runDashboard(a, io),
  },
  eco: {
    summary: "Eco dyno hours used and left this month, per app; the pool every Eco app on this engine shares ([--app NAME])",
    run: (a, io) => runEco(a, io),
  },
  maintenance: {
    summary: "serve the 503 maintenance page (H80) for every request, or stop (on|off --app NAME)",
    run: (a, io) => runMaintenance(a, io),
  },
  releases: {
    summary: "an app's kept releases: version, when, what changed (no values), release phase (--app NAME)",
    run: (a, io) => runReleases(a, io),
  },
  rollback: {
    summary: "a new release from release N's image and config, in seconds (--app NAME vN)",
    run: (a, io) => runRollback(a, io),
  },
  restart: {
    summary: "SIGTERM, 30 s, SIGKILL and a fresh container per dyno, web without dropping requests (--app NAME [--type T | --dyno D])",
    run: (a, io) => runRestart(a, io),
  },
  run: {
    summary: "a one-off dyno with the app's release, attached here or fed piped stdin (--app NAME [--] COMMAND…)",
    run: (a, io) => runRun(a, io),
  },
};

export async function main(argv: string[], io: CommandIO = defaultIO): Promise<number> {
  const [name, ...args] = argv;
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    if (name && name !== "help" && name !== "--help") io.stderr(`dynoform: unknown command "${name}"\n`);
    io.stderr(
      `usage: dynoform <command> [args]\n\ncommands:\n${Object.entries(COMMANDS)
        .map(([n, c]) => `  ${n.padEnd(12)} ${c.summary}`)
        .join("\n")}\n`,
    );
    return name && name !== "help" && name !== "--help" ? 2 : 0;
  }
  return command.run(args, io);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`dynoform: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
