import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDynoManager, readDynoManagerLog, removeDynoManagerIfIdle } from "../../provider/formations/dyno-manager-controller";
import { ENV } from "../../sdk/settings";
import { docker } from "../support/docker";
import { getUntil, steadyLoad } from "../support/http";
import { RouterTestApp } from "../support/router-app";
import { uniqueSuffix } from "../support/pulumi";

// Heroku's daily cycling, with the day shortened by DYNOFORM_TIME_SCALE (10,800: a "day" of 8 s
// plus up to 1.2 s), against the real dyno manager, router and dynos.
describe("daily dyno cycling", () => {
  const router = { name: `r-cycle-${uniqueSuffix()}`, httpPort: 8237 };
  const t = new RouterTestApp("cyc", router);
  // A preboot formation's only web dyno: cycled start-first, so even one dyno drops nothing.
  const p = new RouterTestApp("cycp", router);
  const before = process.env[ENV.timeScale];

  beforeAll(async () => {
    // The day is the shared manager's: every dyno on the engine would be cycled, not only this
    // test's. Refuse (never skip) when other apps' dynos run.
    const others = (await docker.listContainers({ filters: { label: ["dynoform.role=dyno"] } })).map((c) => c.Names[0]);
    if (others.length > 0)
      throw new Error(`other apps' dynos run on this engine (${others.slice(0, 3).join(", ")}…): this test would cycle them. Run it alone`);
    await t.setup();
    await p.setup(t.image);
    await t.scale(2);
    await p.scale(1, { preboot: true });
    await getUntil(t.url, (r) => r.status === 200);
    await getUntil(p.url, (r) => r.status === 200);
    process.env[ENV.timeScale] = "10800";
    await ensureDynoManager();
  }, 180_000);
  afterAll(async () => {
    await p.cleanup();
    await t.cleanup();
    if (before === undefined) delete process.env[ENV.timeScale];
    else process.env[ENV.timeScale] = before;
    // The shared manager goes back to the engine's normal day, or goes when no dyno is left.
    await ensureDynoManager();
    await removeDynoManagerIfIdle();
  });

  it("cycles every dyno with Heroku's lines into a fresh container, and no request fails", async () => {
    const ids = async (app = t.app) =>
      (await docker.listContainers({ filters: { label: [`dynoform.app=${app}`, "dynoform.role=dyno"] } })).map((c) => c.Id);
    const [first, firstPreboot] = [await ids(), await ids(p.app)];
    const [load, prebootLoad] = [steadyLoad(t.url, 2), steadyLoad(p.url, 2)];
    await new Promise((r) => setTimeout(r, 22_000));
    const [result, prebootResult] = [await load.stop(), await prebootLoad.stop()];
    expect(result.failures).toEqual([]);
    expect(result.ok).toBeGreaterThan(0);
    expect(prebootResult.failures).toEqual([]);
    expect(prebootResult.ok).toBeGreaterThan(0);
    expect((await ids()).filter((id) => first.includes(id))).toEqual([]);
    expect((await ids(p.app)).filter((id) => firstPreboot.includes(id))).toEqual([]);
    const prebootLines = (await readDynoManagerLog(docker, p.app, 500)).map((l) => `${l.source}: ${l.text}`);
    expect(prebootLines).toContain("heroku[web.1]: Cycling");
    expect(prebootLines).toContain("heroku[web.1]: State changed from starting to up");
    const lines = (await readDynoManagerLog(docker, t.app, 500)).map((l) => `${l.source}: ${l.text}`);
    for (const dyno of ["web.1", "web.2"]) {
      expect(lines).toContain(`heroku[${dyno}]: Cycling`);
      expect(lines).toContain(`heroku[${dyno}]: State changed from up to starting`);
    }
    expect(lines.join("\n")).not.toContain("crashed");
  });
});
