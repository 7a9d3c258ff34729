import * as fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { estimateMonthlyCost } from "../sdk/cost";
import { FormationFileSchema } from "../sdk/formation-schema";
import { validateFormation } from "../sdk/tier-rules";

export interface CommandIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin?: () => string;
}

export const defaultIO: CommandIO = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stdin: () => fs.readFileSync(0, "utf8"),
};

const USAGE = "usage: dynoform check <formation.json|formation.yaml|->\n";

/**
 * `dynoform check FILE`: the same validation `pulumi preview` runs, without Pulumi, so CI can
 * lint a formation change first. Exit 0 when valid, 1 with the messages when not, 2 on bad usage.
 */
export async function runCheck(args: string[], io: CommandIO = defaultIO): Promise<number> {
  const file = args[0];
  if (!file || args.length > 1) {
    io.stderr(USAGE);
    return 2;
  }
  let text: string;
  try {
    text = file === "-" ? (io.stdin ?? defaultIO.stdin!)() : fs.readFileSync(file, "utf8");
  } catch (e) {
    io.stderr(`dynoform check: cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  let data: unknown;
  try {
    data = parseYaml(text); // YAML is a superset of JSON: one parser reads both.
  } catch (e) {
    io.stderr(`dynoform check: ${file} is neither JSON nor YAML: ${(e as Error).message}\n`);
    return 1;
  }
  const parsed = FormationFileSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) io.stderr(`${file}: ${issue.path.join(".") || "(top level)"}: ${issue.message}\n`);
    return 1;
  }
  const f = parsed.data;
  const violations = validateFormation({
    resource: f.app,
    app: f.app,
    processes: f.processes,
    preboot: f.preboot,
    space: f.space,
    alerts: f.alerts,
  });
  if (violations.length > 0) {
    for (const v of violations) io.stderr(`${v.message}\n`);
    io.stderr(`${violations.length} rule(s) broken in ${file}\n`);
    return 1;
  }
  const cost = estimateMonthlyCost(f.processes);
  const dynos = Object.entries(f.processes)
    .map(([t, p]) => `${t}=${p.quantity}:${p.size}`)
    .join(" ");
  io.stdout(`ok: app ${f.app}: ${dynos}; estimated $${cost.totalUsd}/month\n`);
  return 0;
}
