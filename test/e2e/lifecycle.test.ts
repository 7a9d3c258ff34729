import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execIn } from "../../provider/docker/docker-exec";
import { docker, objectsLabelled } from "../support/docker";
import { get, getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// The dyno lifecycle through the real Pulumi CLI: releases, the release phase, scaling, crashes,
// drift, the boot timeout, and secrets that stay secret.
describe("app and formation lifecycle end to end", () => {
  const appName = `life-${uniqueSuffix()}`;
  const secret = `s3cr3t-${uniqueSuffix()}-value`;
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/lifecycle"), `e2e-${appName}`);
  let url = "";
  const dynoNames = async () =>
    (await docker.listContainers({ all: true, filters: { label: [`dynoform.app=${appName}`, "dynoform.role=dyno"] } }))
      .map((c) => c.Names[0].slice(1))
      .sort();

  beforeAll(async () => {
    await stack.init({ appName, webQuantity: "1" });
    await stack.run(["config", "set", "--secret", "secretToken", secret]);
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  it("deploys release v1 after its release phase, with web and worker dynos", async () => {
    const up = await stack.up();
    const out = await stack.outputs();
    url = String(out.url);
    expect(out.release).toBe("v1");
    expect(out.dynos).toEqual(["web.1", "worker.1"]);
    expect(out.processTypes).toEqual(["web", "worker"]);
    expect(out.cost).toBe(75);
    expect((await getUntil(url, (r) => r.status === 200)).body).toBe("Hello from web.1\n");
    expect(await dynoNames()).toEqual([`${appName}.web.1`, `${appName}.worker.1`]);
    expect(up.output).not.toContain(secret);
  });

  it("gives dynos the secret, and keeps it out of the state and the CLI's output", async () => {
    expect((await getUntil(`${url}env/SECRET_TOKEN`, (r) => r.status === 200)).body).toBe(`${secret}\n`);
    const state = (await stack.run(["stack", "export"])).stdout;
    expect(state).not.toContain(secret);
    expect(state).toContain("secretToken");
    const preview = await stack.preview(["--diff"]);
    expect(preview.output).not.toContain(secret);
  });

  it("makes a new release when config changes, and rolls the dynos to it", async () => {
    await stack.setConfig("greeting", "Howdy");
    await stack.up();
    expect((await stack.outputs()).release).toBe("v2");
    expect((await getUntil(url, (r) => r.body.startsWith("Howdy"))).body).toBe("Howdy from web.1\n");
    const web = await docker.getContainer(`${appName}.web.1`).inspect();
    expect(web.Config.Labels["dynoform.release"]).toBe("v2");
  });

  it("keeps the old release serving when the release phase fails", async () => {
    await stack.setConfig("RELEASE_SHOULD_FAIL", "yes");
    const failed = await stack.up({ allowFailure: true });
    expect(failed.code).not.toBe(0);
    expect(failed.output).toContain("the release phase of v3");
    expect(failed.output).toContain("migration failed: table users is locked");
    expect(failed.output).toContain("previous release keeps serving");
    expect((await get(url)).body).toBe("Howdy from web.1\n");
    expect((await docker.getContainer(`${appName}.web.1`).inspect()).Config.Labels["dynoform.release"]).toBe("v2");
    expect((await stack.outputs()).release).toBe("v2");
    await stack.run(["config", "rm", "RELEASE_SHOULD_FAIL"]);
  });

  it("scales up and down with Heroku's dyno names", async () => {
    await stack.setConfig("webQuantity", "3");
    await stack.setConfig("workerQuantity", "0");
    await stack.up();
    expect(await dynoNames()).toEqual([1, 2, 3].map((i) => `${appName}.web.${i}`));
    expect((await stack.outputs()).dynos).toEqual(["web.1", "web.2", "web.3"]);
    await stack.setConfig("webQuantity", "2");
    await stack.up();
    expect(await dynoNames()).toEqual([`${appName}.web.1`, `${appName}.web.2`]);
  });

  it("restarts a crashed dyno as a fresh container: files it wrote are gone", async () => {
    const name = `${appName}.web.1`;
    const before = docker.getContainer(name);
    const id = (await before.inspect()).Id;
    await execIn(before, ["sh", "-c", "echo scratch > /app/scratch.txt"]);
    await execIn(before, ["sh", "-c", "kill -9 $(pidof perl)"]);
    const after = await waitFor("the crashed dyno to come back", async () => {
      const info = await docker.getContainer(name).inspect();
      return info.Id !== id && info.State.Running ? info : undefined;
    });
    expect(after.Config.Labels["dynoform.release"]).toBe("v2");
    expect((await execIn(docker.getContainer(name), ["sh", "-c", "cat /app/scratch.txt 2>/dev/null || echo gone"])).output).toContain(
      "gone",
    );
    await getUntil(url, (r) => r.status === 200);
  });

  it("sees a dyno removed by hand at refresh, and up brings it back", async () => {
    await docker.getContainer(`${appName}.web.2`).remove({ force: true });
    await stack.run(["refresh", "--yes", "--skip-preview"]);
    // Stack outputs come from the last `up`; the refreshed truth is in the Formation's state.
    const formation = JSON.parse((await stack.run(["stack", "export"])).stdout).deployment.resources.find((r: { type: string }) =>
      r.type.endsWith(":Formation"),
    );
    expect(formation.outputs.dynos).toEqual(["web.1"]);
    expect(formation.outputs.processes.web.quantity).toBe(1);
    const preview = await stack.preview(["--expect-no-changes"], { allowFailure: true });
    expect(preview.code).not.toBe(0);
    await stack.up();
    expect(await dynoNames()).toEqual([`${appName}.web.1`, `${appName}.web.2`]);
  });

  it("fails the update when a web dyno does not bind $PORT, naming the dyno and showing its logs", async () => {
    await stack.setConfig("NO_LISTEN", "yes");
    await stack.setConfig("bootTimeoutSeconds", "4");
    const failed = await stack.up({ allowFailure: true });
    expect(failed.code).not.toBe(0);
    expect(failed.output).toMatch(/dyno web\.1 did not accept connections on \$PORT \(5000\) within 4 s \(Heroku's R10 boot timeout\)/);
    expect(failed.output).toContain("web.1: not listening on purpose");
    expect(failed.output).toContain("Fix: make the web process listen on the port given in $PORT");
    await stack.run(["config", "rm", "NO_LISTEN"]);
    await stack.up();
    await getUntil(url, (r) => r.status === 200 && r.body.startsWith("Howdy"));
  });

  it("destroy leaves nothing behind", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });
});
