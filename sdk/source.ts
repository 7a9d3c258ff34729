import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseProcfile } from "./procfile";

/** What an app's `source` folder holds, read at program time so `preview` sees changes. */
export interface SourceInfo {
  /** Absolute path of the folder. */
  dir: string;
  /** Content hash of every file (names and bytes): the image is rebuilt only when it changes. */
  hash: string;
  /** Process type → command, from the Procfile when there is one. */
  processes: Record<string, string>;
  hasDockerfile: boolean;
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
  const hasDockerfile = fs.existsSync(path.join(dir, "Dockerfile"));
  const procfilePath = path.join(dir, "Procfile");
  const processes: Record<string, string> = {};
  if (fs.existsSync(procfilePath)) {
    for (const e of parseProcfile(fs.readFileSync(procfilePath, "utf8"), procfilePath)) processes[e.processType] = e.command;
  }
  if (!hasDockerfile) {
    throw new Error(`source folder "${source}" has no Dockerfile (looked in ${dir}). Fix: add a Dockerfile that builds FROM debian:bookworm-slim`);
  }
  return { dir, hash: hashTree(dir), processes, hasDockerfile };
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
