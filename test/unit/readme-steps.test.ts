import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readmeSteps, stepsScript } from "../support/readme";

const REPO = path.resolve(__dirname, "..", "..");

describe("readmeSteps and stepsScript (how the README's first program is followed)", () => {
  const steps = readmeSteps(path.join(REPO, "README.md"), "Your first program");

  it("finds the files a person writes and the commands they type, in order", () => {
    expect(steps.filter((s) => s.kind === "file").map((s) => (s.kind === "file" ? s.path : ""))).toEqual([
      "Pulumi.yaml",
      "package.json",
      "tsconfig.json",
      "app/Dockerfile",
      "app/Procfile",
      "app/web.pl",
      "index.ts",
    ]);
    const shell = steps
      .filter((s) => s.kind === "shell")
      .map((s) => s.text)
      .join("\n");
    expect(shell.indexOf("npm install")).toBeLessThan(shell.indexOf("pulumi up"));
    expect(shell.indexOf("pulumi up")).toBeLessThan(shell.indexOf("pulumi destroy"));
  });

  it("shows JSON files that parse", () => {
    for (const s of steps) if (s.kind === "file" && s.path.endsWith(".json")) expect(() => JSON.parse(s.text), s.path).not.toThrow();
  });

  it("writes each file byte for byte, in the folder the commands moved to", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "readme-steps-"));
    try {
      const script = stepsScript([{ kind: "shell", text: "mkdir sub && cd sub\n" }, ...steps.filter((s) => s.kind === "file")]);
      execFileSync("bash", ["-c", script], { cwd: dir });
      for (const s of steps) if (s.kind === "file") expect(fs.readFileSync(path.join(dir, "sub", s.path), "utf8")).toBe(s.text);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
