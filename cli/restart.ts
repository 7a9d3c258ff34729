import type { CommandIO } from "./check";
import { parseArgs } from "./args";
import { restartDynos } from "../provider/formations/dyno-restart";

const USAGE = "usage: dynoform restart --app NAME [--type web | --dyno web.2]\n";

/**
 * `dynoform restart --app NAME [--type T | --dyno D]`, Heroku's `ps:restart`: each dyno gets
 * SIGTERM, 30 s, SIGKILL, and a fresh container of its release; web dynos one at a time, out of
 * the router meanwhile. Heroku's platform lines go to `dynoform logs` and are printed here.
 */
export async function runRestart(args: string[], io: CommandIO): Promise<number> {
  const { flags, positional } = parseArgs(args, ["app", "a", "type", "dyno"]);
  const app = flags.app ?? flags.a;
  const [type, dyno] = [flags.type, flags.dyno];
  if (typeof app !== "string" || !app || positional.length > 0 || type === true || dyno === true) {
    io.stderr(USAGE);
    return 2;
  }
  const what = dyno ?? (type ? `all ${type} dynos` : "all dynos");
  io.stdout(`Restarting ${what} of ${app}…\n`);
  try {
    const done = await restartDynos(app, { type: type || undefined, dyno: dyno || undefined }, { report: (l) => io.stdout(`  ${l}\n`) });
    io.stdout(`Restarted ${done.join(", ")}.\n`);
    return 0;
  } catch (e) {
    io.stderr(`dynoform restart: ${(e as Error).message}\n`);
    return 1;
  }
}
