/**
 * Heroku's "Deploy from Git": an app's source is the commit a ref of a git repository points to.
 * The ref is resolved each time the program runs (so `preview` shows a new commit as a change),
 * and that commit's tree is checked out into a cache folder named for it, which is then read and
 * built like any source folder. A remote repository is fetched (one commit deep) into a bare
 * repository of the cache first; a repository on disk is read in place.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ENV } from "./settings";

/** An app's source as a git repository: `{ git: "https://…/shop.git", ref: "main" }`. */
export interface GitSource {
  /** A path (relative to the Pulumi project) or URL of a git repository. */
  git: string;
  /** A branch, tag, full ref name (`refs/heads/main`), `HEAD` or commit id. Default `HEAD`: the repository's default branch. */
  ref?: string;
}

/** What a git source resolved to, as the App's state and release keep it. */
export interface GitCommit {
  /** The repository as given, with any password or token in a URL left out. */
  repository: string;
  ref: string;
  /** The full commit id (40 or 64 hex digits). */
  commit: string;
}

/** How many checked-out commits the cache keeps per repository (the newest used). */
export const CHECKOUTS_KEPT = 5;

/** `https://user:token@host/x.git` → `https://host/x.git`: what may go into state, logs and messages. */
export function redactRepository(repository: string): string {
  return repository.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1");
}

/** A repository that is a folder on this machine (read in place), rather than a URL or `host:path`. */
export function localRepository(repository: string, cwd: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(repository)) return undefined;
  const dir = path.resolve(cwd, repository);
  return fs.existsSync(dir) && fs.statSync(dir).isDirectory() ? dir : undefined;
}

/** One line of `git ls-remote`: a ref and the object it names (`^{}` lines: a tag's commit). */
export interface RemoteRef {
  name: string;
  object: string;
}

export function parseLsRemote(output: string): RemoteRef[] {
  return output
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(([object, name]) => name && /^[0-9a-f]{40,64}$/.test(object))
    .map(([object, name]) => ({ name, object }));
}

const COMMIT_ID = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;

/**
 * The commit a ref names in a repository's refs, as git looks a name up (the ref itself, then
 * `refs/tags/`, then `refs/heads/`), an annotated tag followed to its commit; a full commit id
 * names itself. Otherwise a message naming the repository, the ref, what it does have, and the fix.
 */
export function resolveRef(refs: RemoteRef[], ref: string, repository: string): { commit: string; refName: string } | { error: string } {
  if (COMMIT_ID.test(ref)) return { commit: ref, refName: ref };
  const byName = new Map(refs.map((r) => [r.name, r.object]));
  for (const name of [ref, `refs/${ref}`, `refs/tags/${ref}`, `refs/heads/${ref}`]) {
    const object = byName.get(`${name}^{}`) ?? byName.get(name);
    if (object) return { commit: object, refName: name };
  }
  const short = (prefix: string) =>
    refs
      .filter((r) => r.name.startsWith(prefix) && !r.name.endsWith("^{}"))
      .map((r) => r.name.slice(prefix.length))
      .slice(0, 10);
  const branches = short("refs/heads/");
  const tags = short("refs/tags/");
  const has =
    refs.length === 0
      ? "it has no branches or tags (an empty repository?)"
      : `branches: ${branches.join(", ") || "none"}; tags: ${tags.join(", ") || "none"}`;
  return {
    error: `git ref "${ref}" does not resolve in repository "${redactRepository(repository)}" (${has}). Fix: set \`ref\` to one of those branches or tags (or a full commit id), or push "${ref}" to the repository`,
  };
}

function git(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  try {
    return execFileSync("git", args, {
      cwd: opts.cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0", ...opts.env },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT")
      throw new Error(
        "the `git` command is not installed (source `git` needs it). Fix: install git (apt-get install git, or run scripts/setup.sh)",
      );
    throw new Error(
      (err.stderr ?? err.message)
        .trim()
        .split("\n")
        .filter((l) => l.trim())
        .slice(-2)
        .join("; "),
    );
  }
}

/** The cache folder of git sources (`~/.cache/dynoform/git`, or under `DYNOFORM_CACHE`). */
export function gitCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env[ENV.cache] || path.join(os.homedir(), ".cache", "dynoform"), "git");
}

/**
 * Resolves the ref now (`git ls-remote`, which reads the repository without changing it) and
 * returns a folder holding that commit's files, checked out into the cache unless it is there
 * already. Throws a message for a person; the caller names the resource.
 */
export function checkoutGitSource(source: GitSource, cwd = process.cwd(), cache = gitCacheDir()): { dir: string } & GitCommit {
  const repository = source.git;
  const ref = source.ref ?? "HEAD";
  const shown = redactRepository(repository);
  if (typeof repository !== "string" || !repository.trim())
    throw new Error('source `git` is empty. Fix: give the path or URL of a git repository, e.g. { git: "../shop", ref: "main" }');
  const local = localRepository(repository, cwd);
  if (!local && !/[:/]/.test(repository))
    throw new Error(
      `git repository "${shown}" is neither a folder (looked for ${path.resolve(cwd, repository)}) nor a URL. Fix: give a path relative to the Pulumi project, or a URL such as https://host/owner/repo.git`,
    );
  let listing: string;
  try {
    listing = git(["ls-remote", "--", local ?? repository]);
  } catch (e) {
    throw new Error(
      `could not read git repository "${shown}" (${(e as Error).message.replaceAll(repository, shown)}). Fix: check the path or URL and that \`git ls-remote ${shown}\` works here`,
    );
  }
  const resolved = resolveRef(parseLsRemote(listing), ref, repository);
  // A short commit id is no ref; a repository on disk can still name it.
  const short = "error" in resolved && local ? revParse(local, ref) : undefined;
  if ("error" in resolved && !short) throw new Error(resolved.error);
  const { commit, refName } = short ? { commit: short, refName: short } : (resolved as { commit: string; refName: string });
  const where = repositoryCache(repository, cwd, cache);
  const dir = path.join(where.checkouts, commit);
  if (!fs.existsSync(dir)) {
    const gitDir = local ?? fetchCommit(where.bare, repository, refName, commit);
    checkout(gitDir, commit, dir, shown, ref);
    pruneCheckouts(path.dirname(dir));
  } else fs.utimesSync(dir, new Date(), new Date());
  return { dir, repository: shown, ref, commit };
}

/**
 * Where the cache keeps a repository's checkouts (one folder per commit) and, for a remote one,
 * its bare copy.
 */
export function repositoryCache(repository: string, cwd = process.cwd(), cache = gitCacheDir()): { checkouts: string; bare: string } {
  const key = createHash("sha256")
    .update(localRepository(repository, cwd) ?? repository)
    .digest("hex")
    .slice(0, 16);
  return { checkouts: path.join(cache, "checkouts", key), bare: path.join(cache, "repositories", `${key}.git`) };
}

function revParse(repo: string, ref: string): string | undefined {
  try {
    return git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], { cwd: repo }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Fetches one commit of a remote repository into the cache's bare copy of it; returns that copy. */
function fetchCommit(bare: string, repository: string, refName: string, commit: string): string {
  if (!fs.existsSync(bare)) {
    fs.mkdirSync(path.dirname(bare), { recursive: true });
    git(["init", "--quiet", "--bare", bare]);
  }
  const shown = redactRepository(repository);
  const has = () => {
    try {
      git(["cat-file", "-e", `${commit}^{commit}`], { cwd: bare });
      return true;
    } catch {
      return false;
    }
  };
  if (has()) return bare;
  try {
    // The ref moved since ls-remote, or it is a commit id: fetch the commit itself.
    git(["fetch", "--quiet", "--no-tags", "--depth=1", "--", repository, refName === commit ? commit : refName], { cwd: bare });
    if (!has()) git(["fetch", "--quiet", "--no-tags", "--depth=1", "--", repository, commit], { cwd: bare });
  } catch (e) {
    throw new Error(
      `could not fetch commit ${commit.slice(0, 12)} of git repository "${shown}" (${(e as Error).message.replaceAll(repository, shown)}). Fix: check that the commit is on a branch or tag of the repository and that \`git fetch ${shown}\` works here`,
    );
  }
  return bare;
}

/**
 * Writes the commit's files into `dir` through an index of its own (the repository's index and
 * work tree are not touched): into a temporary folder first, renamed when complete, so a
 * checkout cut short is never taken for a whole one.
 */
function checkout(gitDir: string, commit: string, dir: string, shown: string, ref: string): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.partial-`);
  fs.chmodSync(tmp, 0o755);
  const env = { GIT_INDEX_FILE: path.join(tmp, ".dynoform-index") };
  try {
    try {
      git(["--work-tree", tmp, "read-tree", `${commit}^{tree}`], { cwd: gitDir, env });
    } catch (e) {
      throw new Error(
        `git ref "${ref}" names ${commit.slice(0, 12)}, which is not a commit in repository "${shown}" (${(e as Error).message}). Fix: set \`ref\` to a branch, tag or commit of the repository`,
      );
    }
    git(["--work-tree", tmp, "checkout-index", "--all", "--force"], { cwd: gitDir, env });
    fs.rmSync(env.GIT_INDEX_FILE, { force: true });
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Another program checked the same commit out meanwhile: theirs is as good.
    if (!fs.existsSync(dir)) throw e;
  }
}

/** Keeps the newest used checkouts of a repository (an image of each release is kept anyway). */
function pruneCheckouts(repoDir: string, kept = CHECKOUTS_KEPT): void {
  const all = fs
    .readdirSync(repoDir)
    .filter((n) => !n.includes(".partial-"))
    .map((n) => ({ n, t: fs.statSync(path.join(repoDir, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { n } of all.slice(kept)) fs.rmSync(path.join(repoDir, n), { recursive: true, force: true });
}
