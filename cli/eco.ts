import Docker from "dockerode";
import { parseArgs } from "./args";
import type { CommandIO } from "./check";
import { LABEL } from "../provider/docker/labels";
import { renderEcoReport } from "../provider/dyno-manager/eco-hours";
import { DYNO_MANAGER, readEcoReport } from "../provider/formations/dyno-manager-controller";

const USAGE = "usage: dynoform eco [--app NAME]   (the engine's Eco dyno hours this month; --app: one app's share)\n";

/**
 * `dynoform eco [--app NAME]`: the Eco dyno hours used and left this month in the pool every Eco
 * app on this engine shares, per app, and when it resets; with `--app`, Heroku's two `ps` lines
 * for an Eco app. The dyno manager counts the hours; this reads its book.
 */
export async function runEco(args: string[], io: CommandIO, docker = new Docker()): Promise<number> {
  const { flags, positional } = parseArgs(args, ["app", "a"]);
  const app = flags.app ?? flags.a;
  const unknown = Object.keys(flags).filter((f) => !["app", "a"].includes(f));
  if (positional.length > 0 || unknown.length > 0 || app === true || app === "") {
    io.stderr(USAGE);
    return 2;
  }
  if (typeof app === "string") {
    const dynos = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${app}`, "dynoform.role=dyno"] } });
    if (dynos.length === 0) {
      io.stderr(`dynoform eco: there is no app "${app}" with dynos on this Docker Engine. Fix: check the name with \`dynoform ps\`\n`);
      return 1;
    }
    const sizes = [...new Set(dynos.map((d) => d.Labels[LABEL.size]))];
    if (!sizes.includes("eco")) {
      io.stdout(`${app} runs on ${sizes.join(", ")} dynos, which draw no Eco dyno hours.\n`);
      return 0;
    }
  }
  const report = await readEcoReport(docker);
  if (!report) {
    io.stderr(
      `dynoform eco: the dyno manager (${DYNO_MANAGER}) is not running or has not counted Eco hours yet, so there is nothing to show. Fix: run \`pulumi up\` on a program with a Formation (it starts the manager), then try again in a few seconds\n`,
    );
    return 1;
  }
  io.stdout(renderEcoReport(report, typeof app === "string" ? app : undefined));
  return 0;
}
