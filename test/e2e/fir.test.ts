import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPs } from "../../cli/ps";
import { runRun } from "../../cli/run";
import { docker, objectsLabelled } from "../support/docker";
import { getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

function capture() {
  const io = { out: "", stdout: (t: string) => (io.out += t), stderr: (t: string) => (io.out += t) };
  return io;
}

// A Fir (ARM64) app through the real Pulumi CLI, engine, router and dynos: on an x86-64 engine its
// dynos run under QEMU (registered by scripts/setup.sh), which is slow, so one dyno does it all.
describe("a Fir app end to end", () => {
  const appName = `fir-${uniqueSuffix()}`;
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/fir"), `e2e-${appName}`);
  let emulated = false;

  beforeAll(async () => {
    emulated = (await docker.info()).Architecture !== "aarch64";
    await stack.init({ appName });
  });
  afterAll(() => stack.cleanup());

  it("builds an ARM64 image and answers through the router from an aarch64 dyno", async () => {
    await stack.up({ preview: true });
    const outputs = await stack.outputs();
    expect((await docker.getImage(String(outputs.imageId)).inspect()).Architecture).toBe("arm64");
    // Emulated start-up is slow on a busy machine: the router may answer 503 for a while.
    const res = await getUntil(String(outputs.url), (r) => r.status === 200, 120_000);
    expect(res.body).toBe("aarch64 from web.1\n");
  }, 280_000);

  it("ps says the dyno runs emulated, and a one-off dyno is aarch64 too", async () => {
    const ps = capture();
    expect(await runPs(["--app", appName], ps, docker)).toBe(0);
    const line = ps.out.split("\n").find((l) => l.includes("web.1")) ?? ps.out;
    if (emulated) expect(line).toMatch(/\bup\s+v1\s+standard-1x \(arm64, emulated\)\s/);
    else expect(line).not.toContain("emulated");
    const run = capture();
    expect(await runRun(["--app", appName, "uname", "-m"], run, docker, { interactive: false, stdin: null })).toBe(0);
    expect(run.out.trim()).toBe("aarch64");
  });

  it("destroy leaves no container, network or image of the app", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });
});
