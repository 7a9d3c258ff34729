import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wrk } from "../../bench/wrk";
import { docker, objectsLabelled, waitFor } from "../support/docker";
import { getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

// Pulumi and the autoscaler do not fight, through the real CLI: while the dyno manager adds and
// removes web dynos, `preview` shows no change and `up` leaves the quantity it chose.
// DYNOFORM_TIME_SCALE=60 for the providers (and so the dyno manager): a minute is a second.
describe("autoscaling and pulumi preview/up (time scale 60: a minute is a second)", () => {
  const appName = `ase-${uniqueSuffix()}`;
  const saved = process.env.DYNOFORM_TIME_SCALE;
  process.env.DYNOFORM_TIME_SCALE = "60";
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/autoscaling"), `e2e-${appName}`);
  let url = new URL("http://localhost/");
  const webDynos = async () =>
    (await docker.listContainers({ filters: { label: [`dynoform.app=${appName}`, "dynoform.process=web"] } })).length;
  const noChanges = async () => {
    const r = await stack.preview(["--expect-no-changes", "--diff"], { allowFailure: true });
    expect(r.output).not.toMatch(/dynoform:Formation: \(update\)/);
    expect(r.code, r.output).toBe(0);
  };

  beforeAll(async () => {
    await stack.init({ appName });
    await stack.up();
    url = new URL(String((await stack.outputs()).url));
    await getUntil(url.toString(), (r) => r.status === 200);
  }, 300_000);
  afterAll(async () => {
    try {
      await stack.cleanup();
      expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
    } finally {
      if (saved === undefined) delete process.env.DYNOFORM_TIME_SCALE;
      else process.env.DYNOFORM_TIME_SCALE = saved;
    }
  }, 300_000);

  it("preview shows no change during and after scaling, and up keeps the autoscaled quantity", async () => {
    expect(await webDynos()).toBe(1);
    const stop = new AbortController();
    const load = wrk(Number(url.port), url.hostname, { seconds: 120, connections: 32, path: "/load", signal: stop.signal });
    try {
      await waitFor("a second web dyno", async () => ((await webDynos()) >= 2 ? true : undefined), 60_000);
      await noChanges();
      await waitFor("3 web dynos (max)", async () => ((await webDynos()) === 3 ? true : undefined), 60_000);
      // Under load (held at max), refresh then up: the running quantity is kept, and the outputs
      // show it with the range.
      await stack.run(["refresh", "--yes", "--skip-preview"]);
      await noChanges();
      await stack.up();
      expect((await stack.outputs()).web).toEqual({
        quantity: 3,
        size: "performance-m",
        autoscaling: { min: 1, max: 3, p95ResponseTimeMs: 100 },
      });
      expect(await webDynos()).toBe(3);
    } finally {
      stop.abort();
    }
    expect((await load).failed).toBe(0);
    await waitFor("back to 1 web dyno", async () => ((await webDynos()) === 1 ? true : undefined), 90_000);
    await noChanges();
  }, 400_000);

  it("a changed range applies at once at up", async () => {
    await stack.setConfig("min", "2");
    await stack.up();
    expect(await webDynos()).toBe(2);
    expect((await stack.outputs()).web).toMatchObject({ quantity: 2, autoscaling: { min: 2, max: 3 } });
    await noChanges();
  }, 300_000);
});
