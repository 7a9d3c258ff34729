import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { objectsLabelled } from "../support/docker";
import { getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

// The examples a user copies, through the real Pulumi CLI: up, a request, refresh, no drift, destroy.
describe("examples/web-worker", () => {
  const appName = `ww-${uniqueSuffix()}`;
  const stack = new PulumiStack(path.join(REPO, "examples/web-worker"), `e2e-${appName}`);
  afterAll(() => stack.cleanup());

  it("builds the Node.js app from its Procfile and runs web and worker dynos", async () => {
    await stack.init({ appName });
    await stack.up();
    const out = await stack.outputs();
    expect(out.processTypes).toEqual(["web", "worker"]);
    expect(out.dynos).toEqual(["web.1", "web.2", "worker.1"]);
    expect(out.estimatedMonthlyCost).toBe(100);
    expect((await getUntil(String(out.url), (r) => r.status === 200)).body).toMatch(/^Hello from web\.[12]\n$/);
  });

  it("shows no drift after refresh, and destroy leaves nothing", async () => {
    await stack.run(["refresh", "--yes", "--skip-preview"]);
    expect((await stack.preview(["--expect-no-changes"], { allowFailure: true })).code).toBe(0);
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });
});

describe("examples/private-space", () => {
  const prefix = `ps${uniqueSuffix()}`;
  const stack = new PulumiStack(path.join(REPO, "examples/private-space"), `e2e-${prefix}`);
  afterAll(() => stack.cleanup());

  it("serves the api through the space's router, and the api reaches the internal app by its space DNS name", async () => {
    await stack.init({ prefix });
    await stack.up();
    const out = await stack.outputs();
    const r = await getUntil(String(out.url), (x) => x.status === 200);
    expect(r.body).toMatch(
      new RegExp(`^api web\\.1 got: internal web\\.[12] \\([12]\\.web\\.${prefix}-internal\\.app\\.localspace\\)\\n$`),
    );
    expect(out.estimatedMonthlyCost).toBe(250);
  });

  it("destroy leaves nothing", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    expect(await objectsLabelled({ "dynoform.space": `${prefix}-space` })).toEqual({ containers: [], networks: [], images: [] });
    for (const app of [`${prefix}-api`, `${prefix}-internal`])
      expect(await objectsLabelled({ "dynoform.app": app })).toEqual({ containers: [], networks: [], images: [] });
  });
});
