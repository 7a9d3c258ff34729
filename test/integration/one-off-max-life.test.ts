import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRun } from "../../cli/run";
import {
  dynoManagerRunning,
  ensureDynoManager,
  readDynoManagerLog,
  removeDynoManagerIfIdle,
} from "../../provider/formations/dyno-manager-controller";
import { ENV } from "../../sdk/settings";
import { docker } from "../support/docker";
import { uniqueSuffix } from "../support/pulumi";
import { RouterTestApp } from "../support/router-app";

// One-off dynos end after their maximum life (24 h plus up to 216 min), with the real dyno manager
// and Docker Engine. DYNOFORM_TIME_SCALE=3600 makes that 24 to 28 real seconds.
describe("a one-off dyno ends after its maximum life", () => {
  const t = new RouterTestApp("oneoff", { name: `r-oneoff-${uniqueSuffix()}`, httpPort: 8262 });
  const saved = process.env[ENV.timeScale];

  beforeAll(async () => {
    process.env[ENV.timeScale] = "3600";
    await t.setup();
    await ensureDynoManager();
    await t.scale(1);
  }, 180_000);

  afterAll(async () => {
    if (saved === undefined) delete process.env[ENV.timeScale];
    else process.env[ENV.timeScale] = saved;
    await t.cleanup();
    await removeDynoManagerIfIdle();
    // Dynos of others left on the engine keep the manager: give it back the usual settings.
    if (await dynoManagerRunning(docker)) await ensureDynoManager();
  }, 120_000);

  it("is stopped with SIGTERM by the dyno manager, with Heroku's lines, and `dynoform run` returns its status", async () => {
    let out = "";
    const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (out += s) };
    // Ten real minutes: far past the scaled maximum life, so only the manager ends it.
    const code = await runRun(["--app", t.app, "sleep", "600"], io, undefined, { interactive: false, stdin: null });
    expect(code).toBe(143);
    const runLines = async () =>
      (await readDynoManagerLog(docker, t.app, 500)).filter((l) => l.source === "heroku[run.1]").map((l) => l.text);
    // The manager writes its last line once the stop returned, which may be just after `dynoform run` did.
    let lines = await runLines();
    for (let i = 0; i < 40 && lines.length < 4; i++) {
      await new Promise((r) => setTimeout(r, 250));
      lines = await runLines();
    }
    expect(lines).toEqual([
      "Cycling",
      "Stopping all processes with SIGTERM",
      "Process exited with status 143",
      "State changed from up to complete",
    ]);
    // The container is gone, as after any `dynoform run`.
    expect(await docker.listContainers({ all: true, filters: { label: ["dynoform.role=one-off", `dynoform.app=${t.app}`] } })).toEqual([]);
  }, 180_000);
});
