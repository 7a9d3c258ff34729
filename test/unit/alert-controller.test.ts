import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AlertController } from "../../provider/dyno-manager/alert-controller";
import { ALERT_APPS, alertConfigFile, loadAlertBook, outbox, type AlertConfig } from "../../provider/dyno-manager/alert-store";
import { RequestWindow } from "../../provider/dyno-manager/request-window";

// The manager's side with a real RequestWindow and the alerts folder on a temporary directory.
describe("AlertController (time scale 60: a minute is a second)", () => {
  let dir = "";
  let lines: string[] = [];
  const T0 = 1_000_000;
  const configure = (app: string, webhookUrl: string) => {
    const config: AlertConfig = { app, alerts: { web: { p95ResponseTimeMs: 300, windowMinutes: 1 } }, webhookUrl, dashboardUrl: "" };
    fs.mkdirSync(path.join(dir, ALERT_APPS), { recursive: true });
    fs.writeFileSync(path.join(dir, ALERT_APPS, alertConfigFile(app)), JSON.stringify(config));
  };
  const traffic = (w: RequestWindow, app: string, fromMs: number, toMs: number, serviceMs: number) => {
    for (let t = fromMs; t < toMs; t += 20) w.record({ app, processType: "web", atMs: t, serviceMs, status: 200, websocket: false });
  };
  const controller = (w: RequestWindow) =>
    new AlertController(
      w,
      (app, source, text) => lines.push(`${app} ${source}: ${text}`),
      (m) => lines.push(m),
      60,
      200,
      dir,
      T0,
    );

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "alerts-"));
    lines = [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("logs one fired and one resolved line, and queues them for the app with a webhook only", () => {
    const w = new RequestWindow(1000 / 6, 3_600_000 / 60);
    configure("hooked", "http://hooks.example.com/x");
    configure("quiet", "");
    const c = controller(w);
    expect(c.minuteMs).toBe(1000);
    // Slow for scaled minutes 1001–1003, fast after.
    for (const app of ["hooked", "quiet"]) {
      traffic(w, app, T0, T0 + 4000, 900);
      traffic(w, app, T0 + 4000, T0 + 8000, 20);
    }
    for (let t = T0; t <= T0 + 8000; t += 250) c.evaluate(t);
    const own = lines.filter((l) => l.startsWith("hooked "));
    expect(own).toEqual([
      expect.stringMatching(
        /^hooked heroku\[web\]: Alert fired: web p95 response time (9\d\d|10\d\d)(\.\d)? ms, above 300 ms in every minute of 1 minute$/,
      ),
      expect.stringMatching(/^hooked heroku\[web\]: Alert resolved: web p95 response time \d\d(\.\d)? ms, back under 300 ms for 1 minute$/),
    ]);
    expect(lines.filter((l) => l.startsWith("quiet "))).toHaveLength(2);
    expect(outbox(dir).map((e) => `${e.item.event.app}:${e.item.event.state}`)).toEqual(["hooked:fired", "hooked:resolved"]);
    expect(loadAlertBook(dir)).toEqual({});
  });

  it("keeps firing alerts across its own restart (a new controller reads them), judging only minutes it watched", () => {
    const w = new RequestWindow(1000 / 6, 60_000);
    configure("api", "");
    traffic(w, "api", T0, T0 + 3000, 900);
    controller(w).evaluate(T0 + 2500);
    expect(Object.keys(loadAlertBook(dir))).toEqual(["api/web/p95-response-time"]);
    // A restarted manager has an empty window and starts watching at its start.
    const again = new AlertController(
      new RequestWindow(1000 / 6, 60_000),
      (_a, _s, t) => lines.push(t),
      () => undefined,
      60,
      200,
      dir,
      T0 + 3000,
    );
    again.evaluate(T0 + 3500);
    expect(lines.filter((l) => l.includes("resolved"))).toEqual([]);
    again.evaluate(T0 + 5500);
    expect(lines.filter((l) => l.includes("resolved"))).toHaveLength(1);
  });
});
