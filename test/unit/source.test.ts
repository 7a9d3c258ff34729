import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { contextSizeWarning, readSource } from "../../sdk/source";

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
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

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
    expect(readSource(tmp({ Dockerfile: "FROM x", Procfile: "web: serve\nworker: work\n" })).processes).toEqual({
      web: "serve",
      worker: "work",
    });
  });

  it("explains a missing folder and a folder without a Dockerfile", () => {
    expect(() => readSource("./nope", os.tmpdir())).toThrow(/source folder "\.\/nope" does not exist .*Fix:/);
    expect(() => readSource(tmp({ "README.md": "" }))).toThrow(/has no Dockerfile and no language/);
  });

  it("re-pointing a symlink changes the hash (Docker sends it as a link)", () => {
    const dir = tmp({ Dockerfile: "FROM x", "conf/a.conf": "a", "conf/b.conf": "b" });
    fs.symlinkSync("conf/a.conf", path.join(dir, "current.conf"));
    const before = readSource(dir).hash;
    fs.unlinkSync(path.join(dir, "current.conf"));
    fs.symlinkSync("conf/b.conf", path.join(dir, "current.conf"));
    expect(readSource(dir).hash).not.toBe(before);
  });

  it("leaves out what .dockerignore names, in the hash and the size", () => {
    const a = tmp({ Dockerfile: "FROM x", "src/a.txt": "1" });
    const b = tmp({
      Dockerfile: "FROM x",
      "src/a.txt": "1",
      "data/big.bin": "x".repeat(1000),
      "logs/x.log": "l",
      ".dockerignore": "# data\ndata\n**/*.log\n",
    });
    const c = tmp({
      Dockerfile: "FROM x",
      "src/a.txt": "1",
      "data/big.bin": "x".repeat(1000),
      "data/keep.txt": "k",
      ".dockerignore": "data\n!data/keep.txt\n",
    });
    expect(
      readSource(b)
        .context.largest.map((f) => f.path)
        .sort(),
    ).toEqual([".dockerignore", "Dockerfile", "src/a.txt"]);
    expect(readSource(b).hash).not.toBe(readSource(a).hash); // .dockerignore itself is sent
    expect(readSource(b).context.largest.some((f) => f.path.startsWith("data/") || f.path.endsWith(".log"))).toBe(false);
    expect(readSource(c).context.largest.map((f) => f.path)).toContain("data/keep.txt");
    expect(readSource(c).context.largest.map((f) => f.path)).not.toContain("data/big.bin");
    expect(readSource(a).context.files).toBe(2);
  });

  it("warns about a large build context, naming its size, biggest files and .dockerignore", () => {
    const dir = tmp({ Dockerfile: "FROM x", "data/model.bin": "x".repeat(3 * 1024 * 1024), "src/app.js": "x" });
    const info = readSource(dir);
    expect(contextSizeWarning('App "api"', "./app", info.context)).toBeUndefined();
    const w = contextSizeWarning('App "api"', "./app", info.context, 2 * 1024 * 1024);
    expect(w).toMatch(
      /^App "api": the build context of source "\.\/app" is 3\.0 MB in 3 files; the biggest are data\/model\.bin \(3\.0 MB\), /,
    );
    expect(w).toContain("Fix: list what the image does not need in app/.dockerignore");
  });
});
