import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkoutGitSource, parseLsRemote, redactRepository, resolveRef } from "../../sdk/git-source";
import { readGitSource } from "../../sdk/source";

const A = "a".repeat(40);
const B = "b".repeat(40);
const C = "c".repeat(40);

describe("git refs", () => {
  const refs = parseLsRemote(
    [
      `${A}\tHEAD`,
      `${A}\trefs/heads/main`,
      `${B}\trefs/heads/dev`,
      `${C}\trefs/tags/v1`,
      `${B}\trefs/tags/v1^{}`,
      "not a line",
      `${A}\trefs/heads/release/2`,
    ].join("\n"),
  );

  it("parses ls-remote lines and skips what is not one", () => {
    expect(refs).toHaveLength(6);
    expect(refs[0]).toEqual({ name: "HEAD", object: A });
  });

  it("resolves branches, tags (to their commit), full names, HEAD and commit ids", () => {
    expect(resolveRef(refs, "main", "r")).toEqual({ commit: A, refName: "refs/heads/main" });
    expect(resolveRef(refs, "dev", "r")).toEqual({ commit: B, refName: "refs/heads/dev" });
    expect(resolveRef(refs, "v1", "r")).toEqual({ commit: B, refName: "refs/tags/v1" });
    expect(resolveRef(refs, "refs/heads/dev", "r")).toEqual({ commit: B, refName: "refs/heads/dev" });
    expect(resolveRef(refs, "heads/main", "r")).toEqual({ commit: A, refName: "refs/heads/main" });
    expect(resolveRef(refs, "HEAD", "r")).toEqual({ commit: A, refName: "HEAD" });
    expect(resolveRef(refs, "release/2", "r")).toEqual({ commit: A, refName: "refs/heads/release/2" });
    expect(resolveRef(refs, C, "r")).toEqual({ commit: C, refName: C });
  });

  it("names the repository, the ref, what it has and the fix when the ref does not resolve", () => {
    expect(resolveRef(refs, "mian", "https://bot:t0ken@git.example/shop.git")).toEqual({
      error:
        'git ref "mian" does not resolve in repository "https://git.example/shop.git" (branches: main, dev, release/2; tags: v1). Fix: set `ref` to one of those branches or tags (or a full commit id), or push "mian" to the repository',
    });
    expect(resolveRef([], "main", "../shop")).toMatchObject({
      error: expect.stringContaining("it has no branches or tags (an empty repository?)"),
    });
  });

  it("leaves credentials out of a repository URL", () => {
    expect(redactRepository("https://user:secret@host/x.git")).toBe("https://host/x.git");
    expect(redactRepository("ssh://git@host/x.git")).toBe("ssh://host/x.git");
    expect(redactRepository("git@host:x.git")).toBe("git@host:x.git");
    expect(redactRepository("../shop")).toBe("../shop");
  });
});

// Real repositories made on disk: the ref is read without changing the repository, and a commit's
// files are checked out into a cache folder named for it.
describe("git checkouts", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-git-"));
  const repo = path.join(root, "shop");
  const cache = path.join(root, "cache");
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: repo, encoding: "utf8" }).trim();
  const commit = (files: Record<string, string>, message: string) => {
    for (const [f, body] of Object.entries(files)) fs.writeFileSync(path.join(repo, f), body, { mode: f.endsWith(".sh") ? 0o755 : 0o644 });
    git("add", "-A");
    git("commit", "--quiet", "-m", message);
    return git("rev-parse", "HEAD");
  };
  let first = "";
  let second = "";

  beforeAll(() => {
    fs.mkdirSync(repo);
    git("init", "--quiet", "--initial-branch=main");
    first = commit({ Dockerfile: "FROM debian:bookworm-slim\n", Procfile: "web: ./web.sh\n", "web.sh": "echo one\n" }, "one");
    git("tag", "-a", "v1", "-m", "v1");
    second = commit({ "web.sh": "echo two\n" }, "two");
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it("checks out the commit a branch points to, from a folder, leaving the repository as it was", () => {
    fs.writeFileSync(path.join(repo, "uncommitted.txt"), "not in any commit\n");
    const status = git("status", "--porcelain");
    const got = checkoutGitSource({ git: "shop", ref: "main" }, root, cache);
    expect(got).toMatchObject({ repository: "shop", ref: "main", commit: second });
    expect(fs.readFileSync(path.join(got.dir, "web.sh"), "utf8")).toBe("echo two\n");
    expect(fs.existsSync(path.join(got.dir, "uncommitted.txt"))).toBe(false);
    expect(fs.existsSync(path.join(got.dir, ".dynoform-index"))).toBe(false);
    expect(git("status", "--porcelain")).toBe(status);
    fs.rmSync(path.join(repo, "uncommitted.txt"));
  });

  it("follows an annotated tag to its commit, and takes a short commit id of a repository on disk", () => {
    expect(checkoutGitSource({ git: repo, ref: "v1" }, root, cache).commit).toBe(first);
    const short = checkoutGitSource({ git: repo, ref: first.slice(0, 7) }, root, cache);
    expect(short.commit).toBe(first);
    expect(fs.readFileSync(path.join(short.dir, "web.sh"), "utf8")).toBe("echo one\n");
  });

  it("fetches a repository given by URL into the cache, one commit deep", () => {
    const got = checkoutGitSource({ git: `file://${repo}`, ref: "v1" }, root, cache);
    expect(got.commit).toBe(first);
    expect(fs.statSync(path.join(got.dir, "web.sh")).mode & 0o111).not.toBe(0);
    const copies = fs.readdirSync(path.join(cache, "repositories"));
    expect(copies).toHaveLength(1);
  });

  it("reads the checkout as a source whose hash is the commit", () => {
    const source = readGitSource({ git: repo }, root, cache);
    expect(source).toMatchObject({
      hash: second,
      build: "dockerfile",
      processes: { web: "./web.sh" },
      git: { ref: "HEAD", commit: second },
    });
  });

  it("refuses a ref that does not resolve, or what is no repository, saying how to fix it", () => {
    expect(() => checkoutGitSource({ git: repo, ref: "nope" }, root, cache)).toThrow(
      `git ref "nope" does not resolve in repository "${repo}" (branches: main; tags: v1). Fix:`,
    );
    expect(() => checkoutGitSource({ git: root, ref: "main" }, root, cache)).toThrow(
      /could not read git repository .* Fix: check the path or URL/,
    );
    expect(() => checkoutGitSource({ git: "missing-folder" }, root, cache)).toThrow(/neither a folder .* nor a URL\. Fix:/);
  });
});
