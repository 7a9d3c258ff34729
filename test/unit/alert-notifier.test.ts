import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AlertPayload } from "../../provider/dyno-manager/alert-payload";
import type { AlertEvent } from "../../provider/dyno-manager/alert-plan";
import { drainOutbox, postJson, type Delivery } from "../../provider/dyno-manager/alert-notifier";
import { ALERT_APPS, alertConfigFile, enqueueAlert, outbox, type AlertConfig } from "../../provider/dyno-manager/alert-store";

const URL = "https://hooks.example.com/services/SECRET-TOKEN";
const event = (state: AlertEvent["state"], atMs: number, app = "api"): AlertEvent => ({
  state,
  app,
  processType: "web",
  metric: "p95-response-time",
  value: 900,
  threshold: 500,
  windowMinutes: 1,
  atMs,
});

// The outbox on a temporary folder and a recording POST: the notifier's order, retries and giving up.
describe("drainOutbox", () => {
  let dir = "";
  let lines: string[] = [];
  let posts: Array<{ url: string; payload: AlertPayload }> = [];
  const configure = (app: string, webhookUrl = URL) => {
    const config: AlertConfig = {
      app,
      alerts: { web: { p95ResponseTimeMs: 500, windowMinutes: 1 } },
      webhookUrl,
      dashboardUrl: "http://d",
    };
    fs.mkdirSync(path.join(dir, ALERT_APPS), { recursive: true });
    fs.writeFileSync(path.join(dir, ALERT_APPS, alertConfigFile(app)), JSON.stringify(config));
  };
  /** A receiver that answers with these results in turn, then 200. */
  const receiver = (results: Delivery[]) => async (url: string, payload: AlertPayload) => {
    posts.push({ url, payload });
    return results.shift() ?? { ok: true, detail: "HTTP 200" };
  };
  const drain = (nowMs: number, results: Delivery[] = []) =>
    drainOutbox(nowMs, {
      dir,
      post: receiver(results),
      appLog: (app, source, text) => lines.push(`${app} ${source}: ${text}`),
      random: () => 0,
    });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "alerts-"));
    lines = [];
    posts = [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("POSTs each alert once, in order, and empties the outbox", async () => {
    configure("api");
    enqueueAlert(event("fired", 1), dir);
    enqueueAlert(event("resolved", 2), dir);
    await drain(10);
    expect(posts.map((p) => [p.url, p.payload.event])).toEqual([
      [URL, "alert.fired"],
      [URL, "alert.resolved"],
    ]);
    expect(posts[0].payload.metricsUrl).toBe("http://d/?app=api&type=web");
    expect(outbox(dir)).toEqual([]);
    expect(lines).toEqual([
      "api heroku[web]: Alert webhook delivered to https://hooks.example.com/… (alert.fired p95-response-time, attempt 1)",
      "api heroku[web]: Alert webhook delivered to https://hooks.example.com/… (alert.resolved p95-response-time, attempt 1)",
    ]);
    await drain(20);
    expect(posts).toHaveLength(2);
  });

  it("retries a failing webhook after its back-off, holding the app's later alerts back, never naming the URL", async () => {
    configure("api");
    configure("other");
    enqueueAlert(event("fired", 1), dir);
    enqueueAlert(event("resolved", 2), dir);
    enqueueAlert(event("fired", 3, "other"), dir);
    await drain(10, [{ ok: false, detail: `HTTP 500 from ${URL}` }]);
    // api's fired failed (its resolved waits); other's went out.
    expect(posts.map((p) => `${p.payload.app}:${p.payload.state}`).sort()).toEqual(["api:fired", "other:fired"]);
    expect(outbox(dir).map((e) => [e.item.event.state, e.item.attempts])).toEqual([
      ["fired", 1],
      ["resolved", 0],
    ]);
    expect(lines.join("\n")).not.toContain("SECRET");
    expect(lines).toContain(
      "api heroku[web]: Alert webhook to https://hooks.example.com/… failed (HTTP 500 from https://hooks.example.com/…); attempt 1, next in 2.0 s",
    );
    // Not due yet: nothing is sent.
    posts = [];
    await drain(2009);
    expect(posts).toEqual([]);
    await drain(2010);
    expect(posts.map((p) => p.payload.state)).toEqual(["fired", "resolved"]);
    expect(outbox(dir)).toEqual([]);
  });

  it("gives up after the last attempt, with a line", async () => {
    configure("api");
    enqueueAlert(event("fired", 1), dir);
    const failures = Array.from({ length: 12 }, () => ({ ok: false, detail: "HTTP 503" }));
    for (let i = 0; i < 12; i++) await drain(10 + i * 3_600_000, failures);
    expect(posts).toHaveLength(12);
    expect(outbox(dir)).toEqual([]);
    expect(lines.at(-1)).toBe("api heroku[web]: Alert webhook to https://hooks.example.com/… failed (HTTP 503); gave up after 12 attempts");
  });

  it("skips apps an earlier pass is still sending (a hung webhook holds up only its own app)", async () => {
    configure("api");
    configure("other");
    enqueueAlert(event("fired", 1), dir);
    enqueueAlert(event("fired", 2, "other"), dir);
    const busy = new Set(["api"]);
    await drainOutbox(10, { dir, post: receiver([]), appLog: () => undefined, busy });
    expect(posts.map((p) => p.payload.app)).toEqual(["other"]);
    expect([...busy]).toEqual(["api"]);
    expect(outbox(dir).map((e) => e.item.event.app)).toEqual(["api"]);
  });

  it("drops alerts of an app whose webhook was removed meanwhile", async () => {
    configure("api", "");
    enqueueAlert(event("fired", 1), dir);
    await drain(10);
    expect([posts, outbox(dir)]).toEqual([[], []]);
  });
});

describe("postJson", () => {
  let server: http.Server | undefined;
  afterEach(() => server?.close());

  const listen = (handler: http.RequestListener) =>
    new Promise<string>((resolve) => {
      server = http
        .createServer(handler)
        .listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}/hook/SECRET`));
    });

  it("POSTs JSON and takes a 2xx as delivered", async () => {
    let got = "";
    const url = await listen((req, res) => {
      req.on("data", (d) => (got += d));
      req.on("end", () => res.writeHead(204).end());
    });
    const payload = { event: "alert.fired" } as AlertPayload;
    expect(await postJson(url, payload)).toEqual({ ok: true, detail: "HTTP 204" });
    expect(JSON.parse(got)).toEqual(payload);
  });

  it("takes any other answer, or none, as a failure to retry", async () => {
    const url = await listen((_req, res) => res.writeHead(500).end());
    expect(await postJson(url, {} as AlertPayload)).toEqual({ ok: false, detail: "HTTP 500" });
    server?.close();
    const refused = await postJson(url, {} as AlertPayload);
    expect(refused.ok).toBe(false);
    expect(refused.detail).toMatch(/ECONNREFUSED/);
    expect(refused.detail).not.toContain("SECRET");
  });
});
