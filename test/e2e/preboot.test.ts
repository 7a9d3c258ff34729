import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, objectsLabelled } from "../support/docker";
import { getUntil, steadyLoad } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

// Preboot through the real Pulumi CLI: a new release's web dynos boot beside the old ones, the
// router switches, the old ones drain — and a steady request loop sees no failure.
describe("preboot deploys end to end", () => {
  const appName = `pre-${uniqueSuffix()}`;
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/preboot"), `e2e-${appName}`);
  let url = "";
  const containers = async () =>
    (await docker.listContainers({ all: true, filters: { label: [`dynoform.app=${appName}`, "dynoform.role=dyno"] } }))
      .map((c) => `${c.Names[0].slice(1)} ${c.Labels["dynoform.release"]}`)
      .sort();

  beforeAll(async () => {
    await stack.init({ appName });
    await stack.up();
    url = String((await stack.outputs()).url);
    await getUntil(url, (r) => r.status === 200);
  });
  afterAll(() => stack.cleanup());

  it("switches to the new release under a steady request loop without a failed request", async () => {
    const load = steadyLoad(url, 4);
    await new Promise((r) => setTimeout(r, 1000));
    await stack.setConfig("greeting", "Howdy");
    await stack.up();
    await getUntil(url, (r) => r.body.startsWith("Howdy"));
    await new Promise((r) => setTimeout(r, 1000));
    const result = await load.stop();
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(50);
    const bodies = [...result.bodies.keys()];
    expect(bodies.some((b) => b.startsWith("Hello"))).toBe(true);
    expect(bodies.some((b) => b.startsWith("Howdy"))).toBe(true);
    expect((await stack.outputs()).release).toBe("v2");
    expect(await containers()).toEqual([`${appName}.web.1 v2`, `${appName}.web.2 v2`]);
  });

  it("keeps the old release serving when the new web dynos fail to boot", async () => {
    await stack.setConfig("NO_LISTEN", "yes");
    await stack.setConfig("bootTimeoutSeconds", "3");
    const load = steadyLoad(url, 2);
    const failed = await stack.up({ allowFailure: true });
    const result = await load.stop();
    expect(failed.code).not.toBe(0);
    expect(failed.output).toContain("did not accept connections on $PORT");
    expect(failed.output).toContain("Preboot: the new web dynos were removed; release v2 keeps serving.");
    expect(result.failures).toEqual([]);
    expect(await containers()).toEqual([`${appName}.web.1 v2`, `${appName}.web.2 v2`]);
    await stack.run(["config", "rm", "NO_LISTEN"]);
    await stack.up();
    expect((await getUntil(url, (r) => r.body.startsWith("Howdy"))).status).toBe(200);
  });

  it("destroy leaves nothing behind", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });
});
