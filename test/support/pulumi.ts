import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "..", "..");
const cache = process.env.DYNOFORM_CACHE ?? path.join(os.homedir(), ".cache", "dynoform");
const pulumiVersion: string = require(path.join(REPO, "node_modules/@pulumi/pulumi/package.json")).version;
const pulumiBin = path.join(cache, `pulumi-v${pulumiVersion}`, "bin");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for assertions on what a person would read. */
  output: string;
}

/**
 * A real Pulumi stack of a program under the repo, on a file backend of its own in a temp folder:
 * every call is the real CLI, engine and language host.
 */
export class PulumiStack {
  readonly backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-state-"));
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly programDir: string,
    readonly stack: string,
  ) {
    this.env = {
      ...process.env,
      // The language host and the dynamic providers start `node` from PATH: the one running these
      // tests comes first (test/unit/node-version checks that it is one @pulumi/pulumi supports).
      PATH: `${pulumiBin}:${path.dirname(process.execPath)}:${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${this.backendDir}`,
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_HOME: path.join(cache, "pulumi-home"),
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      // Node.js keeps the bytecode of the modules it compiled (@pulumi/pulumi loads TypeScript's
      // 9 MB compiler, gRPC, npm's libraries): the program and the provider host start faster.
      NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? path.join(cache, "node-compile-cache"),
      NO_COLOR: "1",
    };
  }

  run(args: string[], opts: { allowFailure?: boolean; timeoutMs?: number } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn("pulumi", [...args, "--stack", this.stack, "--non-interactive", "--color", "never"], {
        cwd: this.programDir,
        env: this.env,
      });
      let stdout = "";
      let stderr = "";
      let output = "";
      child.stdout.on("data", (d) => ((stdout += d), (output += d)));
      child.stderr.on("data", (d) => ((stderr += d), (output += d)));
      const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 280_000);
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        const r = { code: code ?? -1, stdout, stderr, output };
        if (r.code !== 0 && !opts.allowFailure) reject(new Error(`pulumi ${args.join(" ")} failed (exit ${r.code}):\n${output}`));
        else resolve(r);
      });
    });
  }

  async init(config: Record<string, string> = {}): Promise<void> {
    await this.run(["stack", "init"].filter(Boolean));
    for (const [k, v] of Object.entries(config)) await this.setConfig(k, v);
  }

  setConfig(key: string, value: string): Promise<RunResult> {
    return this.run(["config", "set", key, value]);
  }

  /** `pulumi up --yes`; with `preview: true` the engine previews first, as a user's `up` does. */
  up(opts: { allowFailure?: boolean; preview?: boolean } = {}): Promise<RunResult> {
    return this.run(["up", "--yes", ...(opts.preview ? [] : ["--skip-preview"])], opts);
  }

  preview(extra: string[] = [], opts: { allowFailure?: boolean } = {}): Promise<RunResult> {
    return this.run(["preview", ...extra], opts);
  }

  async outputs(): Promise<Record<string, unknown>> {
    return JSON.parse((await this.run(["stack", "output", "--json"])).stdout);
  }

  async resourceCount(): Promise<number> {
    const r = await this.run(["stack", "export"]);
    return (JSON.parse(r.stdout).deployment?.resources ?? []).filter(
      (x: { type: string }) => x.type !== "pulumi:pulumi:Stack" && !x.type.startsWith("pulumi:providers:"),
    ).length;
  }

  /** Destroys what the stack holds and removes the stack, its config file and its backend. */
  async cleanup(): Promise<void> {
    await this.run(["destroy", "--yes", "--skip-preview"], { allowFailure: true });
    await this.run(["stack", "rm", "--yes", "--force"], { allowFailure: true });
    fs.rmSync(path.join(this.programDir, `Pulumi.${this.stack}.yaml`), { force: true });
    fs.rmSync(this.backendDir, { recursive: true, force: true });
  }
}

/** A short random suffix, so app names from parallel or leftover runs never collide. */
export function uniqueSuffix(): string {
  return Math.random().toString(36).slice(2, 8);
}
