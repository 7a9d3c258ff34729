import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectsLabelled } from "../support/docker";
import { get, getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

// The README's example, through the real Pulumi CLI, engine, Docker Engine and router.
describe("examples/hello end to end", () => {
  const appName = `hello-${uniqueSuffix()}`;
  const stack = new PulumiStack(path.join(REPO, "examples/hello"), `e2e-${appName}`);
  let url = "";

  beforeAll(async () => {
    await stack.init({ appName, webQuantity: "1" });
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  it("up answers 200 through the router", async () => {
    await stack.up();
    const outputs = await stack.outputs();
    url = String(outputs.url);
    expect(url).toBe(`http://${appName}.dynoform.localhost:${process.env.DYNOFORM_ROUTER_HTTP_PORT ?? 8080}/`);
    expect(outputs.release).toBe("v1");
    expect(outputs.dynos).toEqual(["web.1"]);
    const res = await getUntil(url, (r) => r.status === 200);
    expect(res.status).toBe(200);
    expect(res.body).toBe("Hello from web.1\n");
  });

  it("runs dynos named <app>.web.<n> with the size's R15 threshold as memory limit, its quota, PORT and DYNO", async () => {
    const { docker } = await import("../support/docker");
    const info = await docker.getContainer(`${appName}.web.1`).inspect();
    // standard-1x: 512 MB quota (R14 above it), killed at 2× (R15).
    expect(info.HostConfig.Memory).toBe(1024 * 1024 * 1024);
    expect(info.Config.Labels["dynoform.memory-quota"]).toBe("512");
    expect(info.Config.Env).toEqual(expect.arrayContaining(["PORT=5000", "DYNO=web.1", "GREETING=Hello"]));
    expect(info.Config.Labels).toMatchObject({
      "dynoform.app": appName,
      "dynoform.process": "web",
      "dynoform.dyno": "web.1",
      "dynoform.release": "v1",
    });
  });

  it("scaling web from 1 to 3 gives responses from 3 different dynos", async () => {
    await stack.setConfig("webQuantity", "3");
    await stack.up();
    expect((await stack.outputs()).dynos).toEqual(["web.1", "web.2", "web.3"]);
    const seen = new Set<string>();
    const deadline = Date.now() + 20_000;
    while (seen.size < 3 && Date.now() < deadline) {
      const r = await get(url);
      if (r.status === 200) seen.add(r.body.trim());
    }
    expect([...seen].sort()).toEqual(["Hello from web.1", "Hello from web.2", "Hello from web.3"]);
  });

  it("preview after up shows no changes", async () => {
    const r = await stack.preview(["--expect-no-changes"], { allowFailure: true });
    expect(r.output).not.toMatch(/error/i);
    expect(r.code).toBe(0);
  });

  it("destroy leaves no container, network or image that the stack created", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
    const after = await get(url).catch((e: Error) => e);
    // The router goes when the last app goes; if another app still runs, this host is unknown to it.
    if (!(after instanceof Error)) expect(after.status).toBe(404);
  });
});
