import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRestart } from "../../cli/restart";
import { LABEL } from "../../provider/docker/labels";
import { ensureDynoManager, readDynoManagerLog, removeDynoManagerIfIdle } from "../../provider/formations/dyno-manager-controller";
import { docker, waitFor } from "../support/docker";
import { get, getUntil, steadyLoad } from "../support/http";
import { RouterTestApp } from "../support/router-app";
import { uniqueSuffix } from "../support/pulumi";

function capture() {
  const io = { out: "", err: "", stdout: (t: string) => (io.out += t), stderr: (t: string) => (io.err += t) };
  return io;
}

const managerLines = async (app: string) => (await readDynoManagerLog(docker, app, 500)).map((l) => `${l.source}: ${l.text}`);
const ids = async (app: string) =>
  (await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${app}`, `${LABEL.role}=dyno`] } })).map((c) => c.Id).sort();

// `dynoform restart` against real dynos, the real router and the real dyno manager.
describe("dynoform restart", () => {
  const router = { name: `r-restart-${uniqueSuffix()}`, httpPort: 8236 };
  const t = new RouterTestApp("rst", router);

  beforeAll(async () => {
    await ensureDynoManager();
    await t.setup();
    await t.scale(2);
    await getUntil(t.url, (r) => r.status === 200);
  }, 180_000);
  afterAll(async () => {
    await t.cleanup();
    await removeDynoManagerIfIdle();
  });

  it("gives every web dyno a fresh container, one at a time, and no request fails", async () => {
    const before = await ids(t.app);
    await docker
      .getContainer(`${t.app}.web.1`)
      .exec({ Cmd: ["sh", "-c", "echo x > /tmp/scratch"] })
      .then((e) => e.start({}));
    const load = steadyLoad(t.url, 4);
    const io = capture();
    const code = await runRestart(["--app", t.app], io);
    const result = await load.stop();
    expect(code).toBe(0);
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(0);
    const after = await ids(t.app);
    expect(after.filter((id) => before.includes(id))).toEqual([]);
    expect(io.out).toContain("Restarted web.1, web.2.");
    // A fresh container: what the dyno wrote is gone.
    const probe = await docker.getContainer(`${t.app}.web.1`).exec({ Cmd: ["test", "-e", "/tmp/scratch"] });
    await probe.start({});
    await waitFor("the probe to end", async () => ((await probe.inspect()).Running ? undefined : true));
    expect((await probe.inspect()).ExitCode).not.toBe(0);
    // Heroku's lines, in order, in `dynoform logs`; and no crash counted.
    const lines = (await managerLines(t.app)).filter((l) => l.startsWith("heroku[web.1]"));
    expect(lines).toEqual(
      expect.arrayContaining([
        "heroku[web.1]: Restarting",
        "heroku[web.1]: State changed from up to starting",
        "heroku[web.1]: Stopping all processes with SIGTERM",
        // The fixture drains and exits 0 on SIGTERM; a process the signal kills shows 143.
        "heroku[web.1]: Process exited with status 0",
        "heroku[web.1]: State changed from starting to up",
      ]),
    );
    expect(lines.indexOf("heroku[web.1]: Restarting")).toBeLessThan(lines.indexOf("heroku[web.1]: State changed from starting to up"));
    expect((await managerLines(t.app)).join("\n")).not.toContain("crashed");
    expect((await get(t.url)).status).toBe(200);
  });

  it("starts the crash cool-off over: a crash after a restart is the first again", async () => {
    const web2 = () => docker.getContainer(`${t.app}.web.2`);
    const first = (await web2().inspect()).Id;
    await web2().kill();
    // The manager restarts a first crash at once; wait for its fresh container.
    await waitFor(
      "the crash restart",
      async () => ((await web2().inspect()).Id !== first && (await web2().inspect()).State.Running ? true : undefined),
      30_000,
    );
    const log = (await docker.getContainer("dynoform-dyno-manager").logs({ stdout: true, tail: 3000 })).toString();
    expect(log).toMatch(new RegExp(`dyno ${t.app}\\.web\\.2 crashed .*\\(crash 1 of release v1@`));
    expect(await runRestart(["--app", t.app, "--dyno", "web.2"], capture())).toBe(0);
    const stamped = (await web2().inspect()).Config.Labels[LABEL.restartedAt];
    const second = (await web2().inspect()).Id;
    await web2().kill();
    // Without the restart this would be crash 2, held for 20 minutes.
    await waitFor(
      "the second crash restart",
      async () => ((await web2().inspect()).Id !== second && (await web2().inspect()).State.Running ? true : undefined),
      30_000,
    );
    const after = (await docker.getContainer("dynoform-dyno-manager").logs({ stdout: true, tail: 3000 })).toString();
    expect(after).toContain(`(crash 1 of release v1@${stamped} since the last good start)`);
  });

  it("refuses an unknown dyno or process type, naming what exists, and changes nothing", async () => {
    const before = await ids(t.app);
    const io = capture();
    expect(await runRestart(["--app", t.app, "--dyno", "web.9"], io)).toBe(1);
    expect(io.err).toContain(`has no dyno web.9 (it has web.1, web.2)`);
    const io2 = capture();
    expect(await runRestart(["--app", t.app, "--type", "worker"], io2)).toBe(1);
    expect(io2.err).toContain("has no worker dynos (it has web)");
    expect(await runRestart(["--app", "no-such-app-r1"], capture())).toBe(1);
    expect(await ids(t.app)).toEqual(before);
  });
});
