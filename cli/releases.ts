import type { CommandIO } from "./check";
import { parseArgs } from "./args";
import { imageKept, listReleases } from "../provider/apps/release-history";
import { formatReleases } from "../provider/apps/release-record";
import { rollback } from "../provider/apps/rollback";

/**
 * `dynoform releases --app NAME`, Heroku's `releases`: each kept release newest first, when it
 * was made, what changed (image, config var names — never values), whether its release phase
 * ran, and whether its image is still on the engine.
 */
export async function runReleases(args: string[], io: CommandIO): Promise<number> {
  const { flags, positional } = parseArgs(args, ["app", "a"]);
  const app = flags.app ?? flags.a;
  if (typeof app !== "string" || !app || positional.length > 0) {
    io.stderr("usage: dynoform releases --app NAME\n");
    return 2;
  }
  const records = await listReleases(app);
  const kept = new Map(await Promise.all(records.map(async (r) => [r.imageId, await imageKept(r.imageId)] as const)));
  io.stdout(formatReleases(app, records, records.at(-1)?.release, (id) => kept.get(id) === true));
  return 0;
}

/**
 * `dynoform rollback --app NAME vN`, Heroku's `rollback`: a new release from release N's image and
 * config, its dynos swapped without a build. Drift from the program until the next `pulumi up`.
 */
export async function runRollback(args: string[], io: CommandIO): Promise<number> {
  const { flags, positional } = parseArgs(args, ["app", "a"]);
  const app = flags.app ?? flags.a;
  if (typeof app !== "string" || !app || positional.length !== 1) {
    io.stderr("usage: dynoform rollback --app NAME vN   (`dynoform releases --app NAME` lists them)\n");
    return 2;
  }
  const started = Date.now();
  try {
    const made = await rollback(app, positional[0], (l) => io.stdout(`  ${l}\n`));
    io.stdout(
      `Rolled back ${app} to ${positional[0]}: it runs ${made.release} (${((Date.now() - started) / 1000).toFixed(1)} s).\n` +
        `This is outside the program: \`pulumi preview\` shows the App as changed, and the next \`pulumi up\` makes a new release of what the program says. Revert the program to keep this one.\n`,
    );
    return 0;
  } catch (e) {
    io.stderr(`dynoform rollback: ${(e as Error).message}\n`);
    return 1;
  }
}
