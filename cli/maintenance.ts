import type { CommandIO } from "./check";
import { parseArgs } from "./args";
import { docker } from "../provider/docker/docker-client";
import { LABEL } from "../provider/docker/labels";
import { maintenanceOf, setMaintenance } from "../provider/router/maintenance";
import { routerSettingsOf, syncRouter, waitForRouterDrain } from "../provider/router/router-controller";

const USAGE = "usage: dynoform maintenance [on|off] --app NAME   (no on/off: show whether it is on)\n";

/**
 * `dynoform maintenance on|off --app NAME`, as Heroku's `maintenance:on|off`: the app's router
 * answers every request with the 503 maintenance page (H80), or serves the dynos again, at once
 * (a hitless router reload; no dyno restarts). Done outside the program, it is drift: `pulumi
 * refresh` shows it and the next `up` puts back what the program says.
 */
export async function runMaintenance(args: string[], io: CommandIO): Promise<number> {
  // `maintenance on --app NAME` (Heroku's order) as well as `maintenance --app NAME on`.
  const lead = args[0] === "on" || args[0] === "off" ? [args[0]] : [];
  const { flags, positional } = parseArgs(args.slice(lead.length), ["app", "a"]);
  const app = flags.app ?? flags.a;
  const [what, ...rest] = [...lead, ...positional];
  if (typeof app !== "string" || !app || rest.length > 0 || (what !== undefined && what !== "on" && what !== "off")) {
    io.stderr(USAGE);
    return 2;
  }
  const network = await docker()
    .getNetwork(`dynoform-app-${app}`)
    .inspect()
    .catch(() => undefined);
  const router = network?.Labels?.[LABEL.router];
  if (!router) {
    io.stderr(`dynoform maintenance: there is no app "${app}" on this Docker Engine. Fix: check the name with \`dynoform ps\`\n`);
    return 1;
  }
  if (what === undefined) {
    const now = await maintenanceOf(app);
    io.stdout(`${app}: maintenance mode is ${now.on ? "on" : "off"}\n`);
    return 0;
  }
  const current = await maintenanceOf(app);
  // On from here: the router's own page, or the custom page of a maintenance already on (a custom
  // page is the program's: `maintenancePageUrl`, `maintenancePage`).
  const changed = await setMaintenance(app, router, what === "on", current.page);
  if (changed) {
    // Done when the router's previous worker has stopped: from then on every request gets the new rule.
    const settings = await routerSettingsOf(router);
    await waitForRouterDrain(settings, await syncRouter(settings), 10_000);
  }
  io.stdout(
    `${app}: maintenance mode ${what === "on" ? "enabled" : "disabled"}${changed ? "" : " (it already was)"}.` +
      ` This is outside the program: \`pulumi refresh\` shows it, and the next \`pulumi up\` sets what the program says.\n`,
  );
  return 0;
}
