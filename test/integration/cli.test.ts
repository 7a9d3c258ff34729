import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLogs } from "../../cli/logs";
import { runPs } from "../../cli/ps";
import { runRun } from "../../cli/run";
import { startDyno, stopDyno, type DynoSpec } from "../../provider/formations/dyno-driver";
import { buildImage } from "../../provider/docker/image-build";
import { LABEL } from "../../provider/docker/labels";
import { ensureNetwork } from "../../provider/router/router-controller";
import { docker, removeTestApps, testDyno } from "../support/docker";
import { REPO, uniqueSuffix } from "../support/pulumi";

function capture() {
  const io = { out: "", err: "", stdout: (t: string) => (io.out += t), stderr: (t: string) => (io.err += t) };
  return io;
}

// The dynoform command against real dynos.
describe("dynoform ps, logs and run", () => {
  const app = `cli-${uniqueSuffix()}`;
  const network = `dynoform-app-${app}`;
  let image = "";
  const spec = (index: number): DynoSpec => testDyno(app, index, image, { release: "v7", env: { GREETING: "Hi", SECRET_TOKEN: "xyz" } });

  beforeAll(async () => {
    image = (
      await buildImage(path.join(REPO, "examples/hello/app"), `dynoform/app-${app}:test`, { [LABEL.managed]: "true", [LABEL.app]: app })
    ).tag;
    await ensureNetwork(network, { [LABEL.managed]: "true", [LABEL.app]: app });
    await startDyno(spec(1));
    await startDyno(spec(2));
    await new Promise((r) => setTimeout(r, 1500));
  }, 120_000);

  afterAll(() => removeTestApps([app], [image]));

  it("ps lists the app's dynos with state, release and size", async () => {
    const io = capture();
    expect(await runPs(["--app", app], io)).toBe(0);
    // The table; warnings (a dyno manager this test does not start) follow after a blank line.
    const lines = io.out.trim().split("\n\n")[0].split("\n");
    expect(lines[0]).toMatch(/^APP\s+DYNO\s+STATE\s+RELEASE\s+SIZE\s+UPTIME\s+COMMAND$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 5).join(" "))).toEqual([
      `${app} web.1 up v7 standard-1x`,
      `${app} web.2 up v7 standard-1x`,
    ]);
  });

  it("logs interleaves every dyno's lines with Heroku's prefixes", async () => {
    const io = capture();
    expect(await runLogs(["--app", app], io)).toBe(0);
    expect(io.out).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 app\[web\.1\]: web\.1 listening on port 5000$/m);
    expect(io.out).toMatch(/ app\[web\.2\]: web\.2 listening on port 5000$/m);
  });

  it("logs --tail follows new lines", async () => {
    const io = capture();
    const tail = runLogs(["--app", app, "--tail", "-n", "0"], io);
    await new Promise((r) => setTimeout(r, 1000));
    const web1 = docker.getContainer(`${app}.web.1`);
    const ip = (await web1.inspect()).NetworkSettings.Networks[network].IPAddress;
    await fetch(`http://${ip}:5000/tail-probe`).catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (!io.out.includes("GET /tail-probe") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(io.out).toMatch(/app\[web\.1\]: GET \/tail-probe -> 200/);
    await stopDyno(`${app}.web.2`);
    await stopDyno(`${app}.web.1`);
    await tail;
    await startDyno(spec(1));
  });

  it("logs --tail does not print again the lines it printed first", async () => {
    const web1 = docker.getContainer(`${app}.web.1`);
    const ip = (await web1.inspect()).NetworkSettings.Networks[network].IPAddress;
    // web.1 was just started again by the test before: wait for it to answer.
    for (
      let i = 0;
      i < 50 &&
      !(await fetch(`http://${ip}:5000/once-probe`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    )
      await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 300));
    const io = capture();
    const stop = new AbortController();
    const tail = runLogs(["--app", app, "--tail"], io, undefined, { signal: stop.signal });
    await new Promise((r) => setTimeout(r, 2000));
    stop.abort();
    expect(await tail).toBe(0);
    expect(io.out.split("GET /once-probe").length - 1).toBe(1);
  });

  it("run starts a one-off dyno with the release's config and secrets, returns its status, and leaves nothing", async () => {
    const io = capture();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, run by the dyno's sh
    const code = await runRun(["--app", app, 'echo "$DYNO $GREETING $SECRET_TOKEN ${PORT:-noport}"; exit 7'], io, undefined, {
      interactive: false,
      stdin: null,
    });
    expect(code).toBe(7);
    expect(io.out).toBe("run.1 Hi xyz noport\n");
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${app}`, "dynoform.role=one-off"] } });
    expect(left).toEqual([]);
  });

  it("run passes several words as the argv, unchanged: spaces, quotes, parentheses", async () => {
    const io = capture();
    const args = ["a b", `it's "quoted"`, "(x) $HOME; `true`", ""];
    const code = await runRun(
      ["--app", app, "--", "perl", "-e", 'print(join("|", $ENV{DYNO}, map { "[$_]" } @ARGV), "\n"); exit(3)', ...args],
      io,
      undefined,
      { interactive: false, stdin: null },
    );
    expect(io.err).toBe("");
    expect(io.out).toBe(`run.1|[a b]|[it's "quoted"]|[(x) $HOME; \`true\`]|[]\n`);
    expect(code).toBe(3);
  });

  it("run feeds piped stdin to the command (echo hi | dynoform run -- cat)", async () => {
    const io = capture();
    const code = await runRun(["--app", app, "--", "cat"], io, undefined, {
      interactive: false,
      stdin: Readable.from(["hi\n", "there\n"]),
    });
    expect(io.out).toBe("hi\nthere\n");
    expect(code).toBe(0);
  });

  it("the dynoform command feeds its piped stdin and exits with the command's status", () => {
    const r = spawnSync(process.execPath, [path.join(REPO, "dist/cli/dynoform.js"), "run", "--app", app, "--", "sh", "-c", "cat; exit 4"], {
      input: "hi\n",
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("hi\n");
    expect(r.status).toBe(4);
  });

  it("run explains an app with no dynos", async () => {
    const io = capture();
    expect(await runRun(["--app", "no-such-app-here", "true"], io, undefined, { interactive: false })).toBe(1);
    expect(io.err).toContain('app "no-such-app-here" has no dynos');
  });
});
