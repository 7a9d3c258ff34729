import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMaintenance } from "../../cli/maintenance";
import { maintenanceOf, setMaintenance } from "../../provider/router/maintenance";
import { waitForRouterDrain } from "../../provider/router/router-controller";
import { docker } from "../support/docker";
import { get, getUntil } from "../support/http";
import { RouterTestApp, routerLog } from "../support/router-app";
import { uniqueSuffix } from "../support/pulumi";

function capture() {
  const io = { out: "", err: "", stdout: (t: string) => (io.out += t), stderr: (t: string) => (io.err += t) };
  return io;
}

// `dynoform maintenance` against the real router and a real dyno.
describe("maintenance mode", () => {
  const router = { name: `r-maint-${uniqueSuffix()}`, httpPort: 8233 };
  const t = new RouterTestApp("maint", router);

  beforeAll(async () => {
    await t.setup();
    await t.scale(1);
    await getUntil(t.url, (r) => r.status === 200);
  }, 120_000);
  afterAll(async () => {
    await setMaintenance(t.app, router.name, false).catch(() => undefined);
    await t.cleanup();
  });

  it("answers every request with the 503 maintenance page and H80 in the router log, the dyno still running", async () => {
    const dyno = docker.getContainer(`${t.app}.web.1`);
    const before = await dyno.inspect();
    const io = capture();
    expect(await runMaintenance(["on", "--app", t.app], io)).toBe(0);
    expect(io.out).toContain("maintenance mode enabled");
    for (const path of ["", "some/page?x=1"]) {
      const r = await get(`${t.url}${path}`, { headers: { "X-Request-Id": `maint-${path.length}-abcdefghijklmnopqrstu` } });
      expect(r.status).toBe(503);
      expect(r.body).toContain("Offline for maintenance");
    }
    const lines = await routerLog(router.name);
    const line = lines.find((l) => l.includes("request_id=maint-0-abcdefghijklmnopqrstu"));
    expect(line).toMatch(/^at=info code=H80 desc="Maintenance mode" method=GET path="\/" /);
    expect(line).toMatch(/ status=503 /);
    const after = await dyno.inspect();
    expect(after.State.Running).toBe(true);
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
    const status = capture();
    expect(await runMaintenance(["--app", t.app], status)).toBe(0);
    expect(status.out).toContain("maintenance mode is on");
  });

  it("serves the dynos again as soon as it is off, without restarting them", async () => {
    const before = await docker.getContainer(`${t.app}.web.1`).inspect();
    expect(await runMaintenance(["off", "--app", t.app], capture())).toBe(0);
    const r = await get(t.url);
    expect(r.status).toBe(200);
    expect(r.body).toBe("Hello from web.1\n");
    expect((await docker.getContainer(`${t.app}.web.1`).inspect()).State.StartedAt).toBe(before.State.StartedAt);
    expect(await maintenanceOf(t.app)).toEqual({ on: false, page: "" });
  });

  it("serves a custom page when one is set", async () => {
    await setMaintenance(t.app, router.name, true, "html:<h1>Back at noon</h1>");
    await waitForRouterDrain(router, await t.sync(), 10_000);
    const r = await get(t.url);
    expect(r.status).toBe(503);
    expect(r.body).toBe("<h1>Back at noon</h1>");
    await setMaintenance(t.app, router.name, false);
    await waitForRouterDrain(router, await t.sync(), 10_000);
    expect((await get(t.url)).status).toBe(200);
  });

  it("refuses an unknown app and bad arguments, changing nothing", async () => {
    const io = capture();
    expect(await runMaintenance(["on", "--app", "no-such-app-x1"], io)).toBe(1);
    expect(io.err).toContain('there is no app "no-such-app-x1"');
    expect(await maintenanceOf("no-such-app-x1")).toEqual({ on: false, page: "" });
    expect(await runMaintenance(["sideways", "--app", t.app], capture())).toBe(2);
  });
});
