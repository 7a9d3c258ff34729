import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { detectLanguage, type Language } from "./buildpacks";
import { checkoutGitSource, type GitCommit, type GitSource } from "./git-source";
import { parseProcfile } from "./procfile";

/** What an app's `source` folder holds, read at program time so `preview` sees changes. */
export interface SourceInfo {
  /** Absolute path of the folder. */
  dir: string;
  /** Content hash of every file (names and bytes): the image is rebuilt only when it changes. */
  hash: string;
  /** Process type → command, from the Procfile when there is one (without `release`). */
  processes: Record<string, string>;
  /** The Procfile's `release:` command: runs once per release, before it goes live. */
  releaseCommand: string;
  /** How the image is built: the folder's own Dockerfile, or a detected language on the stack image. */
  build: "dockerfile" | Language;
  /** What the build context holds: its size and its biggest files (what `.dockerignore` leaves). */
  context: ContextSize;
}

/** The size of a build context, and its biggest files, biggest first. */
export interface ContextSize {
  bytes: number;
  files: number;
  largest: Array<{ path: string; bytes: number }>;
}

/** A build context above this is worth a warning: Docker sends all of it on every build. */
export const LARGE_CONTEXT_BYTES = 100 * 1024 * 1024;

/** Folders that never belong in a build context. */
const SKIP = new Set([".git", "node_modules"]);

/** Throws a message for a person when the folder is unusable; the caller names the resource. */
export function readSource(source: string, cwd = process.cwd()): SourceInfo {
  const dir = path.resolve(cwd, source);
  if (!fs.existsSync(dir)) {
    throw new Error(
      `source folder "${source}" does not exist (looked for ${dir}). Fix: point \`source\` at a folder with a Dockerfile or a Procfile, relative to the Pulumi project`,
    );
  }
  if (!fs.statSync(dir).isDirectory()) {
    throw new Error(`source "${source}" is a file, not a folder (${dir}). Fix: point \`source\` at the folder that holds the Dockerfile`);
  }
  const procfilePath = path.join(dir, "Procfile");
  const processes: Record<string, string> = {};
  let releaseCommand = "";
  if (fs.existsSync(procfilePath)) {
    for (const e of parseProcfile(fs.readFileSync(procfilePath, "utf8"), procfilePath)) {
      if (e.processType === "release") releaseCommand = e.command;
      else processes[e.processType] = e.command;
    }
  }
  const build = fs.existsSync(path.join(dir, "Dockerfile")) ? "dockerfile" : detectLanguage(dir);
  if (!build) {
    throw new Error(
      `source folder "${source}" has no Dockerfile and no language Dynoform recognises (looked in ${dir} for package.json, requirements.txt, index.html). Fix: add a Dockerfile that builds FROM debian:bookworm-slim (Fir: arm64v8/debian:bookworm-slim), or one of those files`,
    );
  }
  return { dir, ...hashTree(dir), processes, releaseCommand, build };
}

/**
 * A git source (sdk/git-source.ts): the commit its ref points to now, checked out and read as a
 * source folder. Its hash is the commit id, so a new commit is a new image, as a push is on Heroku.
 */
export function readGitSource(source: GitSource, cwd = process.cwd(), cache?: string): SourceInfo & { git: GitCommit } {
  const { dir, ...git } = checkoutGitSource(source, cwd, cache);
  try {
    return { ...readSource(dir, cwd), hash: git.commit, git };
  } catch (e) {
    throw new Error(
      `git repository "${git.repository}" at ref "${git.ref}" (commit ${git.commit.slice(0, 12)}): ${(e as Error).message.replace(/relative to the Pulumi project/, "in the repository, commit it and push")}`,
    );
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;

/**
 * The warning for a large build context (undefined below `limit`): how big it is, its biggest
 * files, and `.dockerignore` as the way to leave them out.
 */
export function contextSizeWarning(what: string, source: string, context: ContextSize, limit = LARGE_CONTEXT_BYTES): string | undefined {
  if (context.bytes < limit) return undefined;
  const biggest = context.largest
    .slice(0, 3)
    .map((f) => `${f.path} (${mb(f.bytes)})`)
    .join(", ");
  return (
    `${what}: the build context of source "${source}" is ${mb(context.bytes)} in ${context.files} files; the biggest are ${biggest}. ` +
    `All of it is sent to the Docker Engine on every build. Fix: list what the image does not need in ${path.posix.join(source, ".dockerignore")} (e.g. ${context.largest[0]?.path ?? "data/"})`
  );
}

/**
 * `.dockerignore` as Docker reads it: one pattern per line (`#` comments), `*`, `?` and `**`
 * wildcards, a leading `!` re-includes, the last matching line wins, and a pattern that matches
 * a folder leaves out everything in it. Returns whether a context-relative path is left out, and
 * whether any line re-includes (then a left-out folder must still be walked).
 */
export function dockerignoreFilter(dir: string): { ignored: (rel: string) => boolean; hasExceptions: boolean } {
  const file = path.join(dir, ".dockerignore");
  const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split(/\r?\n/) : [];
  const rules = lines
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const negate = l.startsWith("!");
      const pattern = path.posix.normalize((negate ? l.slice(1) : l).trim().replace(/^\/+/, "")).replace(/\/+$/, "");
      return { negate, re: globRegExp(pattern) };
    });
  const ignored = (rel: string) => {
    let out = false;
    const parts = rel.split("/");
    for (const r of rules) {
      // A pattern matching the path or one of its parent folders.
      for (let i = 1; i <= parts.length; i++) {
        if (r.re.test(parts.slice(0, i).join("/"))) {
          out = !r.negate;
          break;
        }
      }
    }
    return out;
  };
  return { ignored, hasExceptions: rules.some((r) => r.negate) };
}

function globRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*" && pattern[i + 1] === "*") {
      // `**/` matches any number of folders, `**` at the end anything.
      re += pattern[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += pattern[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/**
 * The content hash of what goes into the build context (names, modes, bytes, and where symlinks
 * point: Docker sends a symlink as a link, so re-pointing one is a change), and its size.
 */
function hashTree(root: string): { hash: string; context: ContextSize } {
  const h = createHash("sha256");
  const { ignored, hasExceptions } = dockerignoreFilter(root);
  const sizes: Array<{ path: string; bytes: number }> = [];
  const walk = (rel: string) => {
    const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      if (SKIP.has(e.name)) continue;
      const p = path.posix.join(rel, e.name);
      // The Dockerfile and .dockerignore always reach the engine, as with `docker build`.
      const out = ignored(p) && p !== "Dockerfile" && p !== ".dockerignore";
      if (out && !(e.isDirectory() && hasExceptions)) continue;
      if (e.isSymbolicLink()) h.update(`${p}\0link\0${fs.readlinkSync(path.join(root, p))}\0`);
      else if (e.isDirectory()) walk(p);
      else if (e.isFile() && !out) {
        const stat = fs.statSync(path.join(root, p));
        const mode = stat.mode & 0o111 ? "x" : "-";
        h.update(`${p}\0${mode}\0`)
          .update(fs.readFileSync(path.join(root, p)))
          .update("\0");
        sizes.push({ path: p, bytes: stat.size });
      }
    }
  };
  walk("");
  sizes.sort((a, b) => b.bytes - a.bytes);
  return {
    hash: h.digest("hex").slice(0, 16),
    context: { bytes: sizes.reduce((n, f) => n + f.bytes, 0), files: sizes.length, largest: sizes.slice(0, 5) },
  };
}
