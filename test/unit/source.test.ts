import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readSource } from "../../sdk/source";

describe("readSource", () => {
  const dirs: string[] = [];
  const tmp = (files: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-src-"));
    dirs.push(dir);
    for (const [f, c] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      fs.writeFileSync(path.join(dir, f), c);
    }
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it("hashes the content, so only a real change rebuilds", () => {
    const a = tmp({ Dockerfile: "FROM x", "src/a.txt": "1" });
    const b = tmp({ Dockerfile: "FROM x", "src/a.txt": "1" });
    const c = tmp({ Dockerfile: "FROM x", "src/a.txt": "2" });
    expect(readSource(a).hash).toBe(readSource(b).hash);
    expect(readSource(a).hash).not.toBe(readSource(c).hash);
  });

  it("ignores node_modules and .git", () => {
    const a = tmp({ Dockerfile: "FROM x" });
    const b = tmp({ Dockerfile: "FROM x", "node_modules/x/index.js": "1", ".git/HEAD": "ref" });
    expect(readSource(a).hash).toBe(readSource(b).hash);
  });

  it("reads the Procfile's process commands", () => {
    expect(readSource(tmp({ Dockerfile: "FROM x", Procfile: "web: serve\nworker: work\n" })).processes).toEqual({ web: "serve", worker: "work" });
  });

  it("explains a missing folder and a folder without a Dockerfile", () => {
    expect(() => readSource("./nope", os.tmpdir())).toThrow(/source folder "\.\/nope" does not exist .*Fix:/);
    expect(() => readSource(tmp({ "README.md": "" }))).toThrow(/has no Dockerfile and no language/);
  });
});
