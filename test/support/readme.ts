import * as fs from "node:fs";
import * as path from "node:path";

/** One step of a README section: a file to write (a fence with `title="path"`) or shell commands (a `sh` fence). */
export type ReadmeStep = { kind: "file"; path: string; text: string } | { kind: "shell"; text: string };

/** The code blocks of the README section headed `## <heading>`, in order, as steps a person would take. */
export function readmeSteps(readmePath: string, heading: string): ReadmeStep[] {
  const readme = fs.readFileSync(readmePath, "utf8");
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const steps: ReadmeStep[] = [];
  for (const m of section.matchAll(/^```(\w*)([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const [, lang, info, text] = m;
    const title = /title="([^"]+)"/.exec(info)?.[1];
    if (title) steps.push({ kind: "file", path: title, text });
    else if (lang === "sh") steps.push({ kind: "shell", text });
  }
  return steps;
}

/**
 * One bash script that takes the steps in order, as someone typing them into one terminal would
 * (so `cd` and `export` carry over): files are written where the shell is, commands run with
 * `set -e`. Before step `pauseBefore` it prints `marker` and waits for a line on stdin.
 */
export function stepsScript(steps: ReadmeStep[], opts: { pauseBefore?: number; marker?: string } = {}): string {
  const lines = ["set -eo pipefail"];
  steps.forEach((step, i) => {
    if (i === opts.pauseBefore) lines.push(`echo ${opts.marker}`, "read -r _");
    if (step.kind === "shell") lines.push(step.text);
    else {
      const dir = path.dirname(step.path);
      if (dir !== ".") lines.push(`mkdir -p '${dir}'`);
      lines.push(`cat > '${step.path}' <<'README_FILE_END'`, `${step.text}README_FILE_END`);
    }
  });
  return `${lines.join("\n")}\n`;
}
