import * as fs from "node:fs";
import * as path from "node:path";
import { builtinModules } from "node:module";
import { describe, expect, it } from "vitest";
import { dynoManagerFiles } from "../../provider/formations/dyno-manager-controller";

const DIST = path.join(__dirname, "../../dist/provider");

// The dyno manager's image carries the compiled modules its entry point reaches and no
// node_modules: a require of a package would crash the manager at start.
describe("the dyno manager's image", () => {
  it("carries its own folder's entry point and the modules it reaches", () => {
    const files = dynoManagerFiles(DIST);
    expect(files).toContain(path.join("dyno-manager", "dyno-manager.js"));
    expect(files).toContain(path.join("dyno-manager", "crash-backoff.js"));
    expect(files).toEqual(
      expect.arrayContaining(
        ["metrics-sampler.js", "metrics-store.js", "metrics-plan.js", "autoscale-controller.js", "autoscale-plan.js", "dyno-clone.js"].map(
          (f) => path.join("dyno-manager", f),
        ),
      ),
    );
    expect(files.every((f) => !f.startsWith("formations") && !f.startsWith("apps"))).toBe(true);
  });

  it("carries the alert notifier's entry point too: the notifier runs the same image", () => {
    expect(dynoManagerFiles(DIST)).toEqual(
      expect.arrayContaining(
        ["alert-notifier.js", "alert-controller.js", "alert-plan.js", "alert-store.js", "webhook-backoff.js"].map((f) =>
          path.join("dyno-manager", f),
        ),
      ),
    );
  });

  it("requires nothing but Node's own modules besides what it carries", () => {
    for (const f of dynoManagerFiles(DIST)) {
      const code = fs.readFileSync(path.join(DIST, f), "utf8");
      for (const m of code.matchAll(/require\("([^".][^"]*)"\)/g)) {
        const name = m[1].replace(/^node:/, "");
        expect(builtinModules.includes(name), `${f} requires ${m[1]}`).toBe(true);
      }
    }
  });
});
