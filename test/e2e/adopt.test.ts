import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { docker, objectsLabelled } from "../support/docker";
import { getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

// Importing an app that a previous stack made: declaring it in a new stack adopts what runs,
// restarting nothing. (Pulumi's `import` option needs a provider that can read without its
// serialized code, which dynamic providers cannot; adoption is how Dynoform imports.)
describe("adopting an app made by another stack", () => {
  const appName = `adopt-${uniqueSuffix()}`;
  const program = path.join(REPO, "examples/hello");
  const previous = new PulumiStack(program, `e2e-${appName}-old`);
  const next = new PulumiStack(program, `e2e-${appName}-new`);
  const dynoIds = async () =>
    (await docker.listContainers({ filters: { label: [`dynoform.app=${appName}`, "dynoform.role=dyno"] } })).map((c) => c.Id).sort();

  afterAll(async () => {
    await next.cleanup();
    await previous.cleanup();
  });

  it("a new stack takes over the running app and its release without restarting a dyno", async () => {
    await previous.init({ appName, webQuantity: "2", greeting: "Hi" });
    await previous.up();
    await previous.setConfig("greeting", "Hey");
    await previous.up();
    expect((await previous.outputs()).release).toBe("v2");
    const before = await dynoIds();
    expect(before).toHaveLength(2);
    // The previous stack's state is gone (a lost backend, a repo split): only the dynos remain.
    await previous.run(["stack", "rm", "--yes", "--force"]);

    await next.init({ appName, webQuantity: "2", greeting: "Hey" });
    await next.up();
    const out = await next.outputs();
    expect(out.release).toBe("v2");
    expect(out.dynos).toEqual(["web.1", "web.2"]);
    expect(await dynoIds()).toEqual(before);
    expect((await getUntil(String(out.url), (r) => r.status === 200)).body).toMatch(/^Hey from web\.[12]\n$/);
    expect((await next.preview(["--expect-no-changes"], { allowFailure: true })).code).toBe(0);
  });

  it("a different config makes the next release instead", async () => {
    await next.setConfig("greeting", "Yo");
    await next.up();
    expect((await next.outputs()).release).toBe("v3");
    await next.run(["destroy", "--yes", "--skip-preview"]);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });
});
