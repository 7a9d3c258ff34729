import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLogs } from "../../cli/logs";
import type { AlertPayload } from "../../provider/dyno-manager/alert-payload";
import { ensureDynoManager, removeDynoManagerIfIdle, writeAlertConfig } from "../../provider/formations/dyno-manager-controller";
import { ENV } from "../../sdk/settings";
import { docker, waitFor } from "../support/docker";
import { getUntil, steadyLoad } from "../support/http";
import { uniqueSuffix } from "../support/pulumi";
import { RouterTestApp } from "../support/router-app";

/** `10.200.0.0/24` → `10.200.0.1` (IPv4). */
function firstAddress(subnet: string | undefined): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/\d+$/.exec(subnet ?? "");
  if (!m) return undefined;
  const n = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) + 1;
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join(".");
}

/**
 * A webhook receiver on the host, at the address of Docker's default bridge (where the alert
 * notifier's container reaches the host; 127.0.0.1 inside a container is the container). It
 * answers 500 to its first `failFirst` POSTs.
 */
async function startReceiver(failFirst: number) {
  const bridge = await docker.getNetwork("bridge").inspect();
  const ipam: { Gateway?: string; Subnet?: string } = bridge.IPAM?.Config?.[0] ?? {};
  // Docker leaves Gateway out when it picked the subnet itself: the bridge is then its first address.
  const gateway = ipam.Gateway ?? firstAddress(ipam.Subnet);
  if (!gateway) throw new Error("Docker's default bridge has no gateway address: the notifier could not reach a receiver on this host");
  const received: Array<{ path: string; payload: AlertPayload; answered: number }> = [];
  let failures = failFirst;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const answered = failures-- > 0 ? 500 : 204;
      received.push({ path: req.url ?? "", payload: JSON.parse(body), answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, gateway, resolve));
  const url = `http://${gateway}:${(server.address() as AddressInfo).port}/hook/SECRET-TOKEN`;
  return { url, received, close: () => new Promise((r) => server.close(r)) };
}

// Threshold alerts end to end on a real engine: real router, real dynos, the real dyno manager
// (judging the routers' requests) and alert notifier (POSTing to a receiver this test runs).
describe("threshold alerts fire and resolve exactly once (time scale 60: a minute is a second)", () => {
  const router = { name: `r-alerts-${uniqueSuffix()}`, httpPort: 8231 };
  const t = new RouterTestApp("alerts", router);
  const saved = process.env[ENV.timeScale];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  const delivered = (metric: string, state: string) =>
    receiver.received.filter((r) => r.answered === 204 && r.payload.metric === metric && r.payload.state === state);
  /** `dynoform logs --dyno web`: the alert lines are `heroku[web]` (the router's thousands of lines are left out). */
  const logs = async () => {
    let out = "";
    await runLogs(["--app", t.app, "--dyno", "web", "-n", "5000"], { stdout: (s) => (out += s), stderr: (s) => (out += s) }, docker);
    return out;
  };
  /** Drives `path` with 4 clients until `done` holds (at most 60 s), then stops. */
  const loadUntil = async <T>(path: string, what: string, done: () => T | undefined) => {
    const load = steadyLoad(`${t.url}${path.replace(/^\//, "")}`, 4);
    try {
      return await waitFor(what, async () => done(), 60_000);
    } finally {
      await load.stop();
    }
  };

  beforeAll(async () => {
    process.env[ENV.timeScale] = "60";
    receiver = await startReceiver(2);
    await t.setup();
    await t.scale(2);
    await getUntil(t.url, (r) => r.status === 200);
    await ensureDynoManager();
    await writeAlertConfig({
      app: t.app,
      alerts: { web: { p95ResponseTimeMs: 200, failedRequestPercent: 20, windowMinutes: 1 } },
      webhookUrl: receiver.url,
      dashboardUrl: "http://dashboard.test",
    });
  }, 300_000);

  afterAll(async () => {
    await writeAlertConfig({ app: t.app, alerts: {}, webhookUrl: "", dashboardUrl: "" }).catch(() => undefined);
    await t.cleanup();
    await receiver?.close();
    if (saved === undefined) delete process.env[ENV.timeScale];
    else process.env[ENV.timeScale] = saved;
    await removeDynoManagerIfIdle();
  });

  it("p95 above 200 ms for a (scaled) minute: one fired, POSTed after two failed attempts; healthy again: one resolved", async () => {
    await loadUntil("/delay/400", "the p95 alert to fire and be delivered", () => delivered("p95-response-time", "fired")[0]);
    await loadUntil("/", "the p95 alert to resolve and be delivered", () => delivered("p95-response-time", "resolved")[0]);
    // Three more (scaled) minutes of healthy traffic: nothing more is sent.
    const more = steadyLoad(t.url, 2);
    await new Promise((r) => setTimeout(r, 3000));
    await more.stop();

    const p95 = receiver.received.filter((r) => r.payload.metric === "p95-response-time");
    // The receiver failed the first two POSTs: the notifier tried the fired alert again, then once more.
    expect(p95.map((r) => `${r.payload.state} ${r.answered}`)).toEqual(["fired 500", "fired 500", "fired 204", "resolved 204"]);
    const [fired, resolved] = [p95[2].payload, p95[3].payload];
    expect(fired).toMatchObject({
      event: "alert.fired",
      app: t.app,
      processType: "web",
      threshold: 200,
      unit: "ms",
      windowMinutes: 1,
      metricsUrl: `http://dashboard.test/?app=${t.app}&type=web`,
    });
    expect(fired.value).toBeGreaterThan(200);
    expect(resolved).toMatchObject({ event: "alert.resolved", app: t.app });
    expect(resolved.value).toBeLessThanOrEqual(200);
    expect(receiver.received.every((r) => r.path === "/hook/SECRET-TOKEN")).toBe(true);

    const out = await logs();
    expect(
      out.match(/heroku\[web\]: Alert fired: web p95 response time [\d.]+ ms, above 200 ms in every minute of 1 minute/g),
    ).toHaveLength(1);
    expect(out.match(/heroku\[web\]: Alert resolved: web p95 response time [\d.]+ ms, back under 200 ms for 1 minute/g)).toHaveLength(1);
    expect(out).toMatch(/heroku\[web\]: Alert webhook to http:\/\/[\d.]+:\d+\/… failed \(HTTP 500\); attempt 1, next in/);
    expect(out).toMatch(/heroku\[web\]: Alert webhook delivered to http:\/\/[\d.]+:\d+\/… \(alert\.fired p95-response-time, attempt 3\)/);
    expect(out).not.toContain("SECRET-TOKEN");
  });

  it("more than 20% failed requests for a (scaled) minute: one fired; healthy again: one resolved", async () => {
    await loadUntil("/status/500", "the failed-request alert to fire", () => delivered("failed-request-rate", "fired")[0]);
    await loadUntil("/", "the failed-request alert to resolve", () => delivered("failed-request-rate", "resolved")[0]);
    const failedRate = receiver.received.filter((r) => r.payload.metric === "failed-request-rate");
    expect(failedRate.map((r) => `${r.payload.state} ${r.answered}`)).toEqual(["fired 204", "resolved 204"]);
    expect(failedRate[0].payload).toMatchObject({ threshold: 20, unit: "%" });
    expect(failedRate[0].payload.value).toBeGreaterThan(20);
    expect(failedRate[1].payload.value).toBeLessThanOrEqual(20);
    const out = await logs();
    expect(out.match(/Alert fired: web failed requests [\d.]+%, above 20% in every minute of 1 minute/g)).toHaveLength(1);
    expect(out.match(/Alert resolved: web failed requests [\d.]+%, back under 20% for 1 minute/g)).toHaveLength(1);
  });
});
