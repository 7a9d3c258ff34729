import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { detectLanguage, type Language } from "./buildpacks";
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
}

/** Folders that never belong in a build context. */
const SKIP = new Set([".git", "node_modules"]);

/** Throws a message for a person when the folder is unusable; the caller names the resource. */
export function readSource(source: string, cwd = process.cwd()): SourceInfo {
  const dir = path.resolve(cwd, source);
  if (!fs.existsSync(dir)) {
    throw new Error(`source folder "${source}" does not exist (looked for ${dir}). Fix: point \`source\` at a folder with a Dockerfile or a Procfile, relative to the Pulumi project`);
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
    throw new Error(`source folder "${source}" has no Dockerfile and no language Dynoform recognises (looked in ${dir} for package.json, requirements.txt, index.html). Fix: add a Dockerfile that builds FROM debian:bookworm-slim, or one of those files`);
  }
  return { dir, hash: hashTree(dir), processes, releaseCommand, build };
}

function hashTree(root: string): string {
  const h = createHash("sha256");
  const walk = (rel: string) => {
    const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      if (SKIP.has(e.name)) continue;
      const p = path.posix.join(rel, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const mode = fs.statSync(path.join(root, p)).mode & 0o111 ? "x" : "-";
        h.update(`${p}\0${mode}\0`).update(fs.readFileSync(path.join(root, p))).update("\0");
      }
    }
  };
  walk("");
  return h.digest("hex").slice(0, 16);
}
