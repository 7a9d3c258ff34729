import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMaintenance } from "../../cli/maintenance";
import { runReleases, runRollback } from "../../cli/releases";
import { docker, objectsLabelled } from "../support/docker";
import { get, getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

function capture() {
  const io = { out: "", err: "", stdout: (t: string) => (io.out += t), stderr: (t: string) => (io.err += t) };
  return io;
}

// Maintenance mode, releases and rollback through the real Pulumi CLI, router and dynos.
describe("operating an app: maintenance, releases, rollback", () => {
  const appName = `ops-${uniqueSuffix()}`;
  const secret = `s3cr3t-${uniqueSuffix()}-value`;
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/operations"), `e2e-${appName}`);
  let url = "";
  const greeting = async () => (await getUntil(url, (r) => r.status === 200)).body.replace(/ from web\.\d/, "");

  beforeAll(async () => {
    await stack.init({ appName });
    await stack.run(["config", "set", "--secret", "secretToken", secret]);
  });
  afterAll(() => stack.cleanup());

  it("keeps each release with what changed, never a value", async () => {
    await stack.up();
    url = String((await stack.outputs()).url);
    expect(await greeting()).toBe("Hello (one)\n");
    await stack.setConfig("greeting", "Howdy");
    await stack.up();
    expect((await stack.outputs()).release).toBe("v2");
    const io = capture();
    expect(await runReleases(["--app", appName], io)).toBe(0);
    const lines = io.out.trim().split("\n");
    expect(lines[2]).toMatch(/^v2 \(current\)\s+\S+Z\s+Set GREETING config vars\s+~GREETING\s+ran\s+kept \([0-9a-f]{12}\)$/);
    expect(lines[3]).toMatch(/^v1\s+\S+Z\s+Initial release\s+image \S+ \+GREETING \+SECRET_TOKEN \(secret\)\s+ran\s+kept/);
    expect(io.out).not.toContain(secret);
    expect(io.out).not.toContain("Howdy");
  });

  it("rolls back in seconds to an earlier release's image and config, as drift the next up undoes", async () => {
    const io = capture();
    const started = Date.now();
    expect(await runRollback(["--app", appName, "v1"], io)).toBe(0);
    console.log(`rollback of 2 web dynos took ${Date.now() - started} ms`);
    expect(io.out).toContain(`Rolled back ${appName} to v1: it runs v3`);
    expect((await get(url)).body).toMatch(/^Hello from web\.\d \(one\)\n$/);
    expect((await get(`${url}`)).status).toBe(200);
    const web = await docker.getContainer(`${appName}.web.1`).inspect();
    expect(web.Config.Labels["dynoform.release"]).toBe("v3");
    expect(web.Config.Env).toContain(`SECRET_TOKEN=${secret}`);
    const list = capture();
    await runReleases(["--app", appName], list);
    expect(list.out).toMatch(/v3 \(current\)\s+\S+Z\s+Rollback to v1\s+~GREETING/);
    const preview = await stack.preview(["--expect-no-changes"], { allowFailure: true });
    expect(preview.code).not.toBe(0);
    expect(preview.output, preview.output).toMatch(/~\s+pulumi-nodejs:dynamic\/dynoform:App\s+app\s+update/);
    const refresh = await stack.run(["refresh", "--yes", "--diff"]);
    expect(refresh.output, refresh.output).toMatch(/\+ liveRelease\s*: "v3 \(Rollback to v1\)"/);
    // The rollback's dynos are the formation's: drift of the App's release only, not of the quantity.
    expect(refresh.output, refresh.output).not.toMatch(/quantity\s*:\s*2\s*=>\s*0/);
    expect(refresh.output, refresh.output).not.toMatch(/dynoform:Formation\s+app\s+update/);
    const after = await stack.preview(["--diff"]);
    expect(after.output, after.output).not.toMatch(/quantity\s*:\s*\d+\s*=>/);
    await stack.up();
    expect((await stack.outputs()).release).toBe("v4");
    expect(await greeting()).toBe("Howdy (one)\n");
    expect((await stack.preview(["--expect-no-changes"], { allowFailure: true })).code).toBe(0);
  });

  it("refuses a rollback to a release it does not keep, changing nothing", async () => {
    const io = capture();
    expect(await runRollback(["--app", appName, "v99"], io)).toBe(1);
    expect(io.err, io.err).toContain("has no release v99 kept (kept: v4, v3, v2, v1");
    expect((await docker.getContainer(`${appName}.web.1`).inspect()).Config.Labels["dynoform.release"]).toBe("v4");
  });

  it("starts a reverted program's kept image without building it again", async () => {
    const first = String((await stack.outputs()).imageId);
    const created = (await docker.getImage(first).inspect()).Created;
    await stack.setConfig("source", "./app2");
    await stack.up();
    expect(await greeting()).toBe("Howdy (two)\n");
    await stack.setConfig("source", "./app");
    const up = await stack.up();
    expect((await stack.outputs()).release).toBe("v6");
    expect(String((await stack.outputs()).imageId)).toBe(first);
    expect((await docker.getImage(first).inspect()).Created).toBe(created);
    expect(up.output).not.toMatch(/Step \d|COPY \. \./);
    expect(await greeting()).toBe("Howdy (one)\n");
    const size = (await docker.getImage(first).inspect()).Size;
    const base = (await docker.getImage("debian:bookworm-slim").inspect()).Size;
    console.log(`a kept release's image: ${size} bytes, of which ${size - base} are its own (the rest is the shared base)`);
  });

  it("serves the maintenance page (H80) from the program and from the command, which refresh sees as drift", async () => {
    const dynoBefore = (await docker.getContainer(`${appName}.web.1`).inspect()).State.StartedAt;
    expect(await runMaintenance(["on", "--app", appName], capture())).toBe(0);
    const r = await get(url);
    expect(r.status).toBe(503);
    expect(r.body).toContain("Offline for maintenance");
    const refresh = await stack.run(["refresh", "--yes", "--diff"]);
    expect(refresh.output).toMatch(/maintenance\s*:\s*false\s*=>\s*true/);
    await stack.up();
    expect((await get(url)).status).toBe(200);
    await stack.setConfig("maintenance", "true");
    await stack.setConfig("maintenancePage", "maintenance.html");
    await stack.up();
    const page = await get(url);
    expect(page.status).toBe(503);
    expect(page.body).toBe("<!DOCTYPE html><h1>Back at noon</h1>\n");
    expect((await docker.getContainer(`${appName}.web.1`).inspect()).State.StartedAt).toBe(dynoBefore);
    await stack.setConfig("maintenance", "false");
    await stack.up();
    expect((await get(url)).status).toBe(200);
  });

  it("destroy leaves nothing behind: releases, images, maintenance", async () => {
    await stack.setConfig("maintenance", "true");
    await stack.up();
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
    expect((await docker.listVolumes({ filters: { label: [`dynoform.app=${appName}`] } })).Volumes ?? []).toEqual([]);
  });
});
