import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runReleases } from "../../cli/releases";
import { repositoryCache } from "../../sdk/git-source";
import { docker, objectsLabelled } from "../support/docker";
import { get, getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

function capture() {
  const io = { out: "", err: "", stdout: (t: string) => (io.out += t), stderr: (t: string) => (io.err += t) };
  return io;
}

// Heroku's "Deploy from Git" through the real Pulumi CLI, router and dynos, from a repository the
// test makes on disk: the ref is resolved when the program runs, so a new commit is a change.
describe("git deploys end to end", () => {
  const appName = `git-${uniqueSuffix()}`;
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-git-repo-"));
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/git-source"), `e2e-${appName}`);
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", ...args], { cwd: repo, encoding: "utf8" }).trim();
  const commit = (version: string) => {
    fs.writeFileSync(path.join(repo, "VERSION"), `${version}\n`);
    git("add", "-A");
    git("commit", "--quiet", "-m", `version ${version}`);
    return git("rev-parse", "HEAD");
  };
  let url = "";
  const body = async () => (await getUntil(url, (r) => r.status === 200)).body;
  let second = "";

  beforeAll(async () => {
    // The operations fixture's Perl app: it answers with its VERSION file.
    for (const f of ["Dockerfile", "web.pl"]) fs.copyFileSync(path.join(REPO, "test/e2e/fixtures/operations/app", f), path.join(repo, f));
    fs.writeFileSync(path.join(repo, "Procfile"), "web: perl web.pl\n");
    git("init", "--quiet", "--initial-branch=main");
    await stack.init({ appName, repository: repo });
  });
  afterAll(async () => {
    await stack.cleanup();
    fs.rmSync(repositoryCache(repo).checkouts, { recursive: true, force: true });
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it("builds the commit the ref points to and records it in the release", async () => {
    const first = commit("one");
    await stack.up();
    url = String((await stack.outputs()).url);
    expect(await body()).toBe("Hello from web.1 (one)\n");
    const labels = (await docker.getContainer(`${appName}.web.1`).inspect()).Config.Labels;
    expect(labels["dynoform.release"]).toBe("v1");
    const io = capture();
    expect(await runReleases(["--app", appName], io)).toBe(0);
    expect(io.out, io.out).toMatch(
      new RegExp(`^v1 \\(current\\)\\s+\\S+Z\\s+Initial release\\s+commit ${first.slice(0, 12)} main\\s+none\\s+kept`, "m"),
    );
    expect(await stack.preview(["--expect-no-changes"], { allowFailure: true })).toMatchObject({ code: 0 });
  });

  it("shows a new commit on the ref at preview, and up deploys it", async () => {
    const before = git("rev-parse", "HEAD");
    second = commit("two");
    const preview = await stack.preview(["--diff", "--expect-no-changes"], { allowFailure: true });
    expect(preview.code, preview.output).not.toBe(0);
    expect(preview.output, preview.output).toMatch(new RegExp(`commit\\s*:\\s*"${before}"\\s*=>\\s*"${second}"`));
    // Preview built nothing and changed nothing.
    expect(await body()).toBe("Hello from web.1 (one)\n");
    await stack.up();
    expect((await stack.outputs()).release).toBe("v2");
    expect(await body()).toBe("Hello from web.1 (two)\n");
    const io = capture();
    await runReleases(["--app", appName], io);
    expect(io.out, io.out).toMatch(
      new RegExp(`^v2 \\(current\\)\\s+\\S+Z\\s+Deploy ${second.slice(0, 8)}\\s+commit ${second.slice(0, 12)} main\\s`, "m"),
    );
  });

  it("refuses a ref that does not resolve at preview, naming the repository, the ref and the fix, changing nothing", async () => {
    await stack.setConfig("ref", "mian");
    const preview = await stack.preview([], { allowFailure: true });
    expect(preview.code).not.toBe(0);
    expect(preview.output, preview.output).toContain(
      `git ref "mian" does not resolve in repository "${repo}" (branches: main; tags: none). Fix: set \`ref\` to one of those branches or tags`,
    );
    const up = await stack.up({ allowFailure: true });
    expect(up.code).not.toBe(0);
    expect((await stack.outputs()).release).toBe("v2");
    expect((await docker.getContainer(`${appName}.web.1`).inspect()).Config.Labels["dynoform.release"]).toBe("v2");
    expect((await get(url)).body).toBe("Hello from web.1 (two)\n");
    await stack.setConfig("ref", "main");
    expect(await stack.preview(["--expect-no-changes"], { allowFailure: true })).toMatchObject({ code: 0 });
  });

  it("destroy leaves nothing behind", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
    expect(second).toMatch(/^[0-9a-f]{40}$/);
  });
});
