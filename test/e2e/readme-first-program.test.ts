import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, objectsLabelled } from "../support/docker";
import { getUntil } from "../support/http";
import { REPO, uniqueSuffix } from "../support/pulumi";
import { readmeSteps, stepsScript, type ReadmeStep } from "../support/readme";

// README's "Your first program", typed in order into one shell in an empty folder: the files it
// shows, the commands it shows, the real `npm install` of the packed repo, `pulumi` on a file
// backend in that folder, the router, `npx dynoform`. Only three things differ from the text: the
// repository's path for `~/dynoform`, a unique app name, and a router of its own (environment),
// so it runs beside other stacks.
describe("README: Your first program, followed literally", () => {
  const appName = `shop-${uniqueSuffix()}`;
  const base = 8360 + 2 * Math.floor(Math.random() * 9);
  const router = { name: `r-readme-${uniqueSuffix()}`, httpPort: base, httpsPort: base + 1 };
  const routerEnv = {
    DYNOFORM_ROUTER: router.name,
    DYNOFORM_ROUTER_HTTP_PORT: String(router.httpPort),
    DYNOFORM_ROUTER_HTTPS_PORT: String(router.httpsPort),
  };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-readme-"));
  const pause = "@@README-PAUSE@@";
  let steps: ReadmeStep[] = [];
  let shell: ChildProcessWithoutNullStreams | undefined;
  let output = "";
  let exited: Promise<number>;

  /** The README's text with the test's differences, each of which must still be in it. */
  function personalize(step: ReadmeStep): ReadmeStep {
    const swaps: [string, string][] = [
      ["~/dynoform", REPO],
      ['name: "shop"', `name: "${appName}"`],
      ["--app shop", `--app ${appName}`],
    ];
    let text = step.text;
    for (const [from, to] of swaps) text = text.split(from).join(to);
    return { ...step, text };
  }

  function waitFor(marker: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`README steps did not reach "${marker}" in ${timeoutMs / 1000} s:\n${output}`)),
        timeoutMs,
      );
      const check = () => {
        if (output.includes(marker)) clearTimeout(timer), resolve();
      };
      shell!.stdout.on("data", check);
      exited.then((code) => (clearTimeout(timer), reject(new Error(`README steps stopped (exit ${code}) before "${marker}":\n${output}`))));
      check();
    });
  }

  beforeAll(() => {
    steps = readmeSteps(path.join(REPO, "README.md"), "Your first program");
    const text = steps.map((s) => s.text).join("\n");
    for (const needed of ["~/dynoform", 'name: "shop"', "--app shop", "pulumi destroy"])
      expect(text, `README's first program no longer contains ${needed}`).toContain(needed);
    const destroyStep = steps.findIndex((s) => s.kind === "shell" && s.text.includes("pulumi destroy"));
    const script = stepsScript(steps.map(personalize), { pauseBefore: destroyStep, marker: pause });
    shell = spawn("bash", ["-c", script], {
      cwd: work,
      detached: true, // a process group of its own, so afterAll can stop the command that is running
      env: { ...process.env, ...routerEnv, NO_COLOR: "1" },
    });
    shell.stdout.on("data", (d) => (output += d));
    shell.stderr.on("data", (d) => (output += d));
    exited = new Promise((resolve) => shell!.on("close", (code) => resolve(code ?? -1)));
  });

  afterAll(async () => {
    if (shell && shell.exitCode === null) {
      // Ctrl-C, as a person would: `pulumi` then stops cleanly, with no pending operations.
      process.kill(-shell.pid!, "SIGINT");
      const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 60_000))]);
      if (!stopped) process.kill(-shell.pid!, "SIGKILL");
    }
    // Whatever the steps got to: destroy the stack as the README's last step would.
    const dir = path.join(work, "shop");
    if (fs.existsSync(path.join(dir, ".pulumi-state"))) {
      spawnSync(
        "bash",
        [
          "-c",
          `source ~/.cache/dynoform/env.sh && pulumi destroy --yes --skip-preview --non-interactive --stack dev; pulumi stack rm --yes --force --non-interactive dev`,
        ],
        {
          cwd: dir,
          env: { ...process.env, ...routerEnv, PULUMI_BACKEND_URL: `file://${dir}/.pulumi-state` },
          stdio: "ignore",
          timeout: 240_000,
        },
      );
    }
    fs.rmSync(work, { recursive: true, force: true });
  }, 300_000);

  it("installs, deploys and serves the app through the router", async () => {
    await waitFor(pause, 540_000);
    expect(output).toMatch(/Hello from web\.[12]\n/);
    expect(output).toMatch(/url\s*:\s*"http:\/\/shop-\w+\.dynoform\.localhost:\d+\/"/);
    expect(output).toMatch(/cost\s*:\s*50\b/);
    const res = await getUntil(`http://${appName}.dynoform.localhost:${router.httpPort}/`, (r) => r.status === 200);
    expect(res.body).toMatch(/^Hello from web\.[12]\n$/);
  }, 600_000);

  it("shows the dynos with `npx dynoform ps` and their output and the router's with `logs`", () => {
    expect(output).toMatch(new RegExp(`${appName} +web\\.1 +up +v1 +standard-1x`));
    expect(output).toMatch(new RegExp(`${appName} +web\\.2 +up +v1 +standard-1x`));
    expect(output).toMatch(/ app\[web\.1\]: listening on \d+\n/);
    expect(output).toMatch(/ heroku\[router\]: at=info method=GET path="\/" .* status=200 /);
  });

  it("shows the release command's output in `logs` as app[release.1]", () => {
    expect(output).toMatch(/ app\[release\.1\]: release with greeting 'Hello' is ready\n/);
  });

  it("keeps the secret encrypted in the stack's config and state", () => {
    const dir = path.join(work, "shop");
    expect(fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8")).toMatch(/apiToken:\n\s+secure: /);
    const stateFiles = spawnSync("grep", ["-rl", "s3cr3t-t0ken", path.join(dir, ".pulumi-state")], { encoding: "utf8" }).stdout;
    expect(stateFiles).toBe("");
    expect(output).not.toContain("s3cr3t-t0ken");
  });

  it("the README's last step removes everything the program made", async () => {
    shell!.stdin.write("\n");
    expect(await exited, output).toBe(0);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
    // The router of this test's apps goes with its last app.
    expect((await docker.listContainers({ all: true, filters: { name: [router.name] } })).map((c) => c.Names[0])).toEqual([]);
  }, 300_000);
});
