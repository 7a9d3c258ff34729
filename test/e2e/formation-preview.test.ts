import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectsLabelled } from "../support/docker";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

/** The lines `preview --diff` prints for the resource whose header matches `header`. */
function section(output: string, header: RegExp): string {
  const lines = output.split("\n");
  const start = lines.findIndex((l) => header.test(l));
  if (start < 0) return "";
  const end = lines.findIndex(
    (l, i) => i > start && (/^\s*[~+-]+\s+pulumi/.test(l) || /^\s*Resources:/.test(l) || /^\s*[~+-]*\s*pulumi:pulumi:Stack/.test(l)),
  );
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

// A config or secret change makes a new release: the Formation rolls its dynos in place. Preview
// must say so (update, not replace), and hide only the secret values.
describe("a config or secret change previews the Formation as an update", () => {
  const appName = `cfgsec-${uniqueSuffix()}`;
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/config-secrets"), `e2e-${appName}`);
  const formationHeader = /[~+-]+\s+pulumi-nodejs:dynamic\/dynoform:Formation: \((update|replace|create-replacement|delete-replaced)\)/;

  beforeAll(async () => {
    await stack.init({ appName, greeting: "Hello" });
    await stack.run(["config", "set", "--secret", "token", "first-token-value"]);
    await stack.up();
  });
  afterAll(async () => {
    await stack.cleanup();
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });

  it("a config var change: ~ update, plain fields visible, no secret value", async () => {
    await stack.setConfig("greeting", "Howdy");
    const r = await stack.preview(["--diff"]);
    const formation = section(r.output, formationHeader);
    expect(formation).toMatch(/~ pulumi-nodejs:dynamic\/dynoform:Formation: \(update\)/);
    expect(r.output).not.toMatch(/dynoform:Formation: \((replace|create-replacement|delete-replaced)\)/);
    expect(r.output).not.toMatch(/delete original/);
    expect(formation).toMatch(/GREETING\s*: "Hello" => "Howdy"/);
    // Only the secrets field may be hidden.
    for (const line of formation.split("\n").filter((l) => l.includes("[secret]"))) expect(line).toMatch(/^\s*[~+-]?\s*secrets\s*:/);
    expect(r.output).not.toContain("first-token-value");
  });

  it("a secret change: ~ update, the secret hidden, the rest plain", async () => {
    await stack.setConfig("greeting", "Hello");
    await stack.run(["config", "set", "--secret", "token", "second-token-value"]);
    const r = await stack.preview(["--diff"]);
    const formation = section(r.output, formationHeader);
    expect(formation).toMatch(/~ pulumi-nodejs:dynamic\/dynoform:Formation: \(update\)/);
    expect(r.output).not.toMatch(/dynoform:Formation: \((replace|create-replacement|delete-replaced)\)/);
    expect(formation).toMatch(/secrets\s*:\s*\[secret\]/);
    for (const line of formation.split("\n").filter((l) => l.includes("[secret]"))) expect(line).toMatch(/^\s*[~+-]?\s*secrets\s*:/);
    expect(r.output).not.toContain("first-token-value");
    expect(r.output).not.toContain("second-token-value");
  });

  it("up then rolls the formation in place, and preview is clean after", async () => {
    const up = await stack.up({ preview: true });
    expect(up.output).not.toMatch(/dynoform:Formation.*replac/);
    expect(up.output).not.toContain("second-token-value");
    const again = await stack.preview(["--expect-no-changes"], { allowFailure: true });
    expect(again.code).toBe(0);
  });
});
