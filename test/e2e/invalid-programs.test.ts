import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { objectsLabelled } from "../support/docker";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

// Bad programs must fail at `preview`, naming the resource, the problem and the fix, and change nothing.
describe("invalid programs fail at preview", () => {
  let stack: PulumiStack | undefined;
  afterEach(async () => {
    await stack?.cleanup();
    stack = undefined;
  });

  async function previewScenario(scenario: string) {
    const appName = `bad-${uniqueSuffix()}`;
    stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/invalid"), `e2e-${appName}`);
    await stack.init({ scenario, appName });
    const preview = await stack.preview([], { allowFailure: true });
    const upAttempt = await stack.up({ allowFailure: true, preview: true });
    return { appName, preview, upAttempt };
  }

  it("an app whose source folder does not exist", async () => {
    const { appName, preview, upAttempt } = await previewScenario("missing-source");
    expect(preview.code).not.toBe(0);
    expect(preview.output).toContain(`App "${appName}": source folder "./does-not-exist" does not exist`);
    expect(preview.output).toContain("Fix:");
    expect(upAttempt.code).not.toBe(0);
    expect(await stack!.resourceCount()).toBe(0);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });

  it("a formation with quantity -1", async () => {
    const { appName, preview, upAttempt } = await previewScenario("negative-quantity");
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/Formation "negative", process type "web": .*quantity/);
    expect(preview.output).toContain("quantity-invalid");
    expect(upAttempt.code).not.toBe(0);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });

  it("an Eco web with a Standard worker breaks the tier-mixing rule", async () => {
    const { appName, preview, upAttempt } = await previewScenario("eco-with-standard");
    expect(preview.code).not.toBe(0);
    expect(preview.output).toContain("tier-mixing");
    expect(preview.output).toMatch(/Formation "mixed"/);
    expect(upAttempt.code).not.toBe(0);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });
});
