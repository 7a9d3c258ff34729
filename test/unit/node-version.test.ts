import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const REPO = path.resolve(__dirname, "..", "..");
const minMajor = Number(/>=\s*(\d+)/.exec(require(path.join(REPO, "package.json")).engines.node)![1]);
const major = (v: string) => Number(/^v?(\d+)\./.exec(v.trim())![1]);

// @pulumi/pulumi 3.259 declares Node ≥ 22. `npm test` runs vitest through scripts/node.sh, which
// puts Node 24 from the cache first on PATH when the system's Node is older; the tests pass that
// Node on to `pulumi` (test/support/pulumi.ts), so nothing runs on the old one by accident.
describe("the Node.js everything runs on", () => {
  it("package.json asks for Node 22 or newer", () => {
    expect(minMajor).toBeGreaterThanOrEqual(22);
  });

  it("runs these tests on a Node.js that package.json's engines allows", () => {
    expect(major(process.version), `tests run on ${process.execPath} ${process.version}; run them with npm test`).toBeGreaterThanOrEqual(
      minMajor,
    );
  });

  it("scripts/node.sh runs a command on Node 22+ even when an old system Node comes first on PATH", () => {
    // /usr/bin first: where Debian's (here older) nodejs lives.
    const env = { ...process.env, PATH: `/usr/bin:/bin:${process.env.PATH}` };
    const out = execFileSync("bash", [path.join(REPO, "scripts/node.sh"), "node", "-p", "process.version + ' ' + process.execPath"], {
      env,
      encoding: "utf8",
    });
    const [version, execPath] = out.trim().split(" ");
    expect(major(version)).toBeGreaterThanOrEqual(minMajor);
    // npm's scripts start `node` from PATH too (npm's own shebang is `env node`).
    const npmNode = execFileSync("bash", [path.join(REPO, "scripts/node.sh"), "npm", "exec", "--call", "node -p process.version"], {
      env,
      encoding: "utf8",
      cwd: REPO,
    });
    expect(npmNode.trim()).toBe(version);
    expect(execPath).toBeTruthy();
  });
});
