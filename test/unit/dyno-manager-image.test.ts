import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DYNO_MANAGER_FILES } from "../../provider/dyno-manager-controller";

// The dyno manager's image carries only these compiled modules (no node_modules): each may import
// only the others and Node's own modules, or the manager crashes at start.
describe("the dyno manager's image", () => {
  it("carries every module its modules import", () => {
    const carried = new Set(DYNO_MANAGER_FILES.map((f) => f.replace(/\.js$/, "")));
    for (const mod of carried) {
      const source = fs.readFileSync(path.join(__dirname, "../../provider", `${mod}.ts`), "utf8");
      const imports = [...source.matchAll(/^import (?!type ).*from "([^"]+)";$/gm)].map((m) => m[1]);
      for (const i of imports) {
        if (i.startsWith("node:")) continue;
        expect(i.startsWith("./") && carried.has(i.slice(2)), `${mod}.ts imports ${i}`).toBe(true);
      }
    }
  });
});
