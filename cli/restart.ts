import type { CommandIO } from "./check";
import { parseArgs } from "./args";
import Docker from "dockerode";
import { restartDynos } from "../provider/formations/dyno-restart";
import { restartSwarmDynos, swarmServicesOf } from "../provider/engine/swarm-restart";

const USAGE = "usage: dynoform restart --app NAME [--type web | --dyno web.2]\n";

/**
 * `dynoform restart --app NAME [--type T | --dyno D]`, Heroku's `ps:restart`: each dyno gets
 * SIGTERM, 30 s, SIGKILL, and a fresh container of its release; web dynos one at a time, out of
 * the router meanwhile. Heroku's platform lines go to `dynoform logs` and are printed here. On a
 * Swarm manager, a forced update of each chosen process type's service (provider/engine/swarm-restart.ts).
 */
export async function runRestart(args: string[], io: CommandIO, docker = new Docker()): Promise<number> {
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
    const sel = { type: type || undefined, dyno: dyno || undefined };
    const report = (l: string) => io.stdout(`  ${l}\n`);
    // On a Swarm manager (DOCKER_HOST pointing at it) the dynos are the tasks of the app's services.
    const services = await swarmServicesOf(docker, app);
    const done = services.length ? await restartSwarmDynos(docker, app, services, sel, report) : await restartDynos(app, sel, { report });
    io.stdout(`Restarted ${done.join(", ")}.\n`);
    return 0;
  } catch (e) {
    io.stderr(`dynoform restart: ${(e as Error).message}\n`);
    return 1;
  }
}
