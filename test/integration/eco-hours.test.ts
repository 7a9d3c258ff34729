import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEco } from "../../cli/eco";
import { runRun } from "../../cli/run";
import {
  DYNO_MANAGER,
  dynoManagerRunning,
  ensureDynoManager,
  readDynoManagerLog,
  removeDynoManagerIfIdle,
} from "../../provider/formations/dyno-manager-controller";
import { ENV } from "../../sdk/settings";
import { docker } from "../support/docker";
import { get, getUntil } from "../support/http";
import { uniqueSuffix } from "../support/pulumi";
import { RouterTestApp, routerLog } from "../support/router-app";

async function running(name: string): Promise<boolean> {
  return (
    (
      await docker
        .getContainer(name)
        .inspect()
        .catch(() => undefined)
    )?.State.Running ?? false
  );
}

async function eco(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let [out, err] = ["", ""];
  const code = await runEco(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) }, docker);
  return { code, out, err };
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!ok(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    last = await probe();
  }
  if (!ok(last)) throw new Error(`${what}: not reached in ${timeoutMs / 1000} s; last: ${JSON.stringify(last)}`);
  return last;
}

const SETTINGS = [ENV.timeScale, ENV.ecoHours, ENV.ecoClockStart] as const;

// Eco dyno hours with the real router, dyno manager and Docker Engine. DYNOFORM_TIME_SCALE=60 (an
// Eco minute a second) and a pool of half an hour: the app's one Eco dyno uses it up in about 30
// real seconds. The Eco clock starts mid-January 2030; moving its start to a minute before February
// (a new manager on the same volume) makes the month turn.
describe("Eco dyno hours: an Eco app runs until the engine's pool is used up, sleeps with H82, and wakes when the month turns", () => {
  const router = { name: `r-ecoh-${uniqueSuffix()}`, httpPort: 8261 };
  const t = new RouterTestApp("ecoh", router);
  const web1 = () => `${t.app}.web.1`;
  const saved = Object.fromEntries(SETTINGS.map((k) => [k, process.env[k]]));

  beforeAll(async () => {
    process.env[ENV.timeScale] = "60";
    process.env[ENV.ecoHours] = "0.5";
    process.env[ENV.ecoClockStart] = "2030-01-15T00:00:00Z";
    await t.setup();
    await ensureDynoManager();
    // Never idle-sleeps during the test (an hour of real time): only the pool stops it.
    await t.scale(1, { size: "eco", sleepAfterSeconds: 3600 });
    await getUntil(t.url, (r) => r.status === 200, 60_000);
  }, 180_000);

  afterAll(async () => {
    for (const k of SETTINGS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await t.cleanup();
    await removeDynoManagerIfIdle();
    // Dynos of others left on the engine keep the manager: give it back the usual settings.
    if (await dynoManagerRunning(docker)) await ensureDynoManager();
  }, 120_000);

  it("counts the hours while the dyno runs, in the pool and for the app", async () => {
    const r = await until(
      "some Eco hours counted",
      () => eco(["--app", t.app]),
      (x) => x.code === 0 && !/usage for this app: 0h 00m/.test(x.out),
      60_000,
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /^Eco dyno hours quota remaining this month: \d+h \d\dm \(\d+%\)\nEco dyno usage for this app: \d+h \d\dm \(\d+%\)\n$/,
    );
    const all = await eco([]);
    expect(all.out).toContain("Eco dyno hours, 2030-01 (pool 0h 30m shared by every Eco app on this engine; resets 2030-02-01T00:00:00Z):");
    expect(all.out).toContain(t.app);
    expect((await get(t.url)).status).toBe(200);
  }, 90_000);

  it("sleeps every Eco dyno once the pool is used up; the router answers H82 and nothing wakes", async () => {
    const r = await getUntil(t.url, (x) => x.status === 503 && x.body.includes("H82"), 180_000);
    expect(r.status).toBe(503);
    expect(r.body).toContain("Eco dyno hours used up");
    await until(
      "web.1 stopped",
      () => running(web1()),
      (x) => x === false,
      60_000,
    );
    // A request for the sleeping app gets H82 at once, and does not start its dyno.
    const again = await get(t.url);
    expect(again.status).toBe(503);
    expect(again.body).toContain("code H82");
    expect(await running(web1())).toBe(false);
    const lines = await until(
      "the H82 line in the router log",
      () => routerLog(router.name),
      (l) => l.some((x) => x.includes("code=H82")),
      20_000,
    );
    expect(lines.find((l) => l.includes("code=H82"))).toContain(
      `at=error code=H82 desc="You've used up your dyno hour pool" method=GET path="/" host=${t.hostname}`,
    );
    const log = (await readDynoManagerLog(docker, t.app, 200)).filter((l) => l.source === "heroku[web.1]").map((l) => l.text);
    expect(log).toContain("Idling");
    expect(
      log.some((l) => l.startsWith("Eco dyno hours used up for this month; sleeping until the pool resets at 2030-02-01T00:00:00")),
    ).toBe(true);
    let err = "";
    const run = await runRun(["--app", t.app, "true"], { stdout: () => undefined, stderr: (s) => (err += s) }, undefined, {
      interactive: false,
      stdin: null,
    });
    expect(run).toBe(1);
    expect(err).toContain(`app "${t.app}" runs on Eco dynos, and this engine's Eco dyno hours are used up until 2030-02-01T00:00:00Z`);
    expect(err).toContain("Fix: wait for the pool to reset");
    const shown = await eco([]);
    expect(shown.out).toContain("left 0h 00m (0%)");
    expect(shown.out).toContain("The pool is used up: Eco apps sleep and the router answers H82 until 2030-02-01T00:00:00Z.");
  }, 240_000);

  it("keeps the month's hours across a restart of the dyno manager (they are on its volume)", async () => {
    const before = await eco(["--app", t.app]);
    await docker.getContainer(DYNO_MANAGER).restart({ t: 5 });
    await until(
      "the manager back",
      () => dynoManagerRunning(docker),
      (x) => x,
      30_000,
    );
    const after = await until(
      "the book re-read",
      () => eco(["--app", t.app]),
      (x) => x.code === 0,
      30_000,
    );
    expect(after.out).toContain("remaining this month: 0h 00m (0%)");
    const usage = (s: string) => /usage for this app: (\d+)h (\d\d)m/.exec(s)?.slice(1).map(Number) ?? [];
    const [h0, m0] = usage(before.out);
    const [h1, m1] = usage(after.out);
    expect(h1 * 60 + m1).toBeGreaterThanOrEqual(h0 * 60 + m0);
    expect((await get(t.url)).status).toBe(503);
    expect(await running(web1())).toBe(false);
  }, 90_000);

  it("fills the pool again when the Eco month turns: the next request wakes the app", async () => {
    // A new manager (another setting) on the same volume: its clock a minute, one real second, before February.
    process.env[ENV.ecoClockStart] = "2030-01-31T23:59:00Z";
    await ensureDynoManager();
    await until(
      "the month turned",
      () => eco([]),
      (x) => x.out.includes("Eco dyno hours, 2030-02"),
      60_000,
    );
    // A wake line the router logs in the new manager's first two seconds is not seen (it follows
    // routers' logs from when it finds them): the router holds that request, so ask again after 10 s.
    const deadline = Date.now() + 120_000;
    let r = await get(t.url, { timeoutMs: 10_000 }).catch(() => undefined);
    while (r?.status !== 200 && Date.now() < deadline) {
      await new Promise((ok) => setTimeout(ok, 250));
      r = await get(t.url, { timeoutMs: 10_000 }).catch(() => undefined);
    }
    expect(r?.body).toBe("Hello from web.1\n");
    expect(await running(web1())).toBe(true);
    const shown = await eco([]);
    expect(shown.out).not.toContain("The pool is used up");
  }, 180_000);

  it("refuses bad input with the fix", async () => {
    const unknown = await eco(["--app", "no-such-app-here"]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('there is no app "no-such-app-here"');
    expect(unknown.err).toContain("Fix: check the name with `dynoform ps`");
    expect((await eco(["--nope"])).code).toBe(2);
    expect((await eco(["extra"])).err).toContain("usage: dynoform eco");
    process.env[ENV.ecoHours] = "lots";
    await expect(ensureDynoManager()).rejects.toThrow(/DYNOFORM_ECO_HOURS="lots" is not a number of hours above 0.*Fix:/);
    process.env[ENV.ecoHours] = "0.5";
  });
});
