import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectsLabelled } from "../support/docker";
import { getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

/** The release whose states must keep working: Dynoform 0.1 as published. */
const PREVIOUS_RELEASE = "1a58e9a";

/**
 * A stack made by the previous release, then driven by this one: the package is replaced in
 * place, as `npm install dynoform@latest` does, and refresh, preview, up and destroy must work
 * on the state the old one wrote, updating (never replacing) what exists.
 */
describe(`upgrade from ${PREVIOUS_RELEASE}`, () => {
  const appName = `upg-${uniqueSuffix()}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-upgrade-"));
  const pkg = path.join(tmp, "pkg");
  const program = path.join(tmp, "program");
  const stack = new PulumiStack(program, `e2e-${appName}`);

  /** Puts a Dynoform package at `pkg`: its dist/, package.json and router/ files; dependencies are the repo's (the lock file is the same). */
  function install(from: string): void {
    fs.rmSync(pkg, { recursive: true, force: true });
    fs.mkdirSync(pkg, { recursive: true });
    for (const entry of ["dist", "package.json", "router"]) fs.cpSync(path.join(from, entry), path.join(pkg, entry), { recursive: true });
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(pkg, "node_modules"));
  }

  beforeAll(() => {
    // The previous release's code, built.
    const old = path.join(tmp, "old");
    fs.mkdirSync(old);
    execFileSync("bash", ["-c", `git -C "${REPO}" archive ${PREVIOUS_RELEASE} | tar -x -C "${old}"`]);
    // It runs on this checkout's node_modules: every dependency it ships with must be there at
    // the version its own lock file pinned.
    const oldLock = JSON.parse(fs.readFileSync(path.join(old, "package-lock.json"), "utf8"));
    for (const dep of Object.keys(JSON.parse(fs.readFileSync(path.join(old, "package.json"), "utf8")).dependencies)) {
      const installed = JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", dep, "package.json"), "utf8")).version;
      expect(installed, dep).toBe(oldLock.packages[`node_modules/${dep}`].version);
    }
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(old, "node_modules"));
    execFileSync(process.execPath, [path.join(REPO, "node_modules/typescript/bin/tsc"), "-p", path.join(old, "tsconfig.json")], {
      stdio: "pipe",
    });
    install(old);
    // The README's example as a user's program, with dynoform installed in its node_modules.
    fs.mkdirSync(path.join(program, "node_modules", "@pulumi"), { recursive: true });
    for (const f of ["index.ts", "Pulumi.yaml", "tsconfig.json", "package.json", "app"])
      fs.cpSync(path.join(REPO, "examples/hello", f), path.join(program, f), { recursive: true });
    fs.symlinkSync(path.join(REPO, "node_modules/@pulumi/pulumi"), path.join(program, "node_modules/@pulumi/pulumi"));
    fs.symlinkSync(pkg, path.join(program, "node_modules", "dynoform"));
  }, 180_000);

  afterAll(async () => {
    await stack.cleanup();
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("the previous release makes the stack", async () => {
    await stack.init({ appName, webQuantity: "1" });
    await stack.up();
    const out = await stack.outputs();
    expect(out.release).toBe("v1");
    expect((await getUntil(String(out.url), (r) => r.status === 200)).body).toBe("Hello from web.1\n");
    const state = JSON.parse((await stack.run(["stack", "export"])).stdout);
    // What 0.1 wrote: no providerVersion, and providers loaded by absolute path into dist/provider/.
    const app = state.deployment.resources.find((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/dynoform:App");
    expect(app.outputs.providerVersion).toBeUndefined();
    expect(app.inputs.__provider).toContain("dist/provider/app-provider");
  });

  it("this release refreshes that state (the old provider paths still load), and previews no replace", async () => {
    install(REPO);
    const refresh = await stack.run(["refresh", "--yes", "--skip-preview"]);
    expect(refresh.output).not.toMatch(/error/i);
    const preview = await stack.preview(["--diff"]);
    expect(preview.output).not.toMatch(/\((replace|create-replacement|delete-replaced)\)|\+-/);
  });

  it("up with this release updates in place; the next preview is clean", async () => {
    const up = await stack.up({ preview: true });
    expect(up.output).not.toMatch(/replac/);
    const out = await stack.outputs();
    expect(out.release).toBe("v1");
    expect((await getUntil(String(out.url), (r) => r.status === 200)).body).toBe("Hello from web.1\n");
    const again = await stack.preview(["--expect-no-changes"], { allowFailure: true });
    expect(again.code, again.output).toBe(0);
  });

  it("a change made with this release records the provider version; destroy removes everything", async () => {
    await stack.setConfig("webQuantity", "2");
    await stack.up();
    expect((await stack.outputs()).dynos).toEqual(["web.1", "web.2"]);
    const state = JSON.parse((await stack.run(["stack", "export"])).stdout);
    const formation = state.deployment.resources.find((r: { type: string }) => r.type === "pulumi-nodejs:dynamic/dynoform:Formation");
    expect(formation.outputs.providerVersion).toBe(require(path.join(REPO, "package.json")).version);
    const destroy = await stack.run(["destroy", "--yes", "--skip-preview"]);
    expect(destroy.code).toBe(0);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });
});
