import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { objectsLabelled } from "../support/docker";
import { getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

/**
 * CI checks a program out to a different folder on every runner, and Pulumi runs the provider
 * code serialized into the state for `refresh` and `destroy`: that code must find Dynoform
 * wherever the program now is. The program gets a copy of the package in its own node_modules
 * (as `npm install` makes it), is moved whole, and is refreshed and destroyed from there.
 */
describe("a program moved to another folder", () => {
  const appName = `moved-${uniqueSuffix()}`;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-moved-"));
  const before = path.join(root, "checkout-a");
  const after = path.join(root, "checkout-b");
  const stack = new PulumiStack(before, `e2e-${appName}`);

  beforeAll(async () => {
    fs.cpSync(path.join(REPO, "examples/hello"), before, {
      recursive: true,
      filter: (src) => !/node_modules|Pulumi\..+\.yaml$/.test(path.relative(REPO, src)),
    });
    // The package as installed: a real copy of what it ships, not a link back to this checkout.
    const modules = path.join(before, "node_modules");
    const pkg = path.join(modules, "dynoform");
    fs.mkdirSync(pkg, { recursive: true });
    // DYNOFORM_PACKAGE_DIR: another build to try, such as the previous release's, to see this fail there.
    const from = process.env.DYNOFORM_PACKAGE_DIR ?? REPO;
    for (const part of ["dist", "router", "scripts", "package.json"])
      fs.cpSync(path.join(from, part), path.join(pkg, part), { recursive: true });
    // Its dependencies (and @pulumi/pulumi, typescript) from this checkout's node_modules.
    for (const dep of fs.readdirSync(path.join(REPO, "node_modules"))) {
      if (dep === "dynoform" || dep.startsWith(".")) continue;
      fs.symlinkSync(path.join(REPO, "node_modules", dep), path.join(modules, dep));
    }
    await stack.init({ appName, webQuantity: "1" });
  });

  afterAll(async () => {
    (stack as { programDir: string }).programDir = fs.existsSync(after) ? after : before;
    await stack.cleanup();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("is up in its first folder", async () => {
    await stack.up();
    const url = String((await stack.outputs()).url);
    expect((await getUntil(url, (r) => r.status === 200)).status).toBe(200);
  });

  it("refreshes and destroys from the folder it was moved to, leaving nothing behind", async () => {
    fs.renameSync(before, after);
    (stack as { programDir: string }).programDir = after;
    const refresh = await stack.run(["refresh", "--yes", "--skip-preview"], { allowFailure: true });
    expect(refresh.output).not.toMatch(/Cannot find module/);
    expect(refresh.code, refresh.output).toBe(0);
    const destroy = await stack.run(["destroy", "--yes", "--skip-preview"], { allowFailure: true });
    expect(destroy.code, destroy.output).toBe(0);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });
});
