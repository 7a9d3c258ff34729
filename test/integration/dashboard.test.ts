import * as fs from "node:fs";
import * as path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeTables } from "../../provider/metrics/store-reader";
import type { MetricsReport } from "../../provider/metrics/metrics-series";
import { DashboardProcess, fastDynoManager, startEcoApp, startMetricsWorkers } from "../support/dashboard";
import { docker, removeTestApps, waitFor } from "../support/docker";
import { getUntil, steadyLoad } from "../support/http";
import { freePort } from "../support/pebble";
import { REPO, uniqueSuffix } from "../support/pulumi";
import { RouterTestApp } from "../support/router-app";

/** Where the page's screenshot is kept (gitignored): the test's artifact. */
const ARTIFACTS = path.join(REPO, "test-artifacts");
type Report = MetricsReport & { since: string };

// The Metrics page in a real browser (Debian's Chromium, driven by playwright-core) against
// `dynoform dashboard` reading a real dyno manager's store: a web dyno behind a router under a
// little load, a worker holding 100 MB and a dyno that crashes every few seconds, sampled every second.
describe("dynoform dashboard in a browser", () => {
  let t: RouterTestApp;
  const ecoApp = `dash-eco-${uniqueSuffix()}`;
  const dashboard = new DashboardProcess();
  let browser: Browser | undefined;
  let restore = async () => {};

  beforeAll(async () => {
    t = new RouterTestApp("dash", { name: `r-dash-${uniqueSuffix()}`, httpPort: await freePort() });
    ({ restore } = await fastDynoManager());
    await t.setup();
    await t.scale(1);
    await startMetricsWorkers(t);
    await startEcoApp(t, ecoApp);
    await getUntil(t.url, (r) => r.status === 200);
    // A little load through the router for a few seconds: what the router's series count.
    const load = steadyLoad(t.url, 2);
    await new Promise((r) => setTimeout(r, 3000));
    expect((await load.stop()).ok).toBeGreaterThan(0);
    await dashboard.start();
    // The flags keep Chromium from reaching for the network on its own (this machine has none).
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    expect(await dashboard.stop()).toBe(0);
    await removeTestApps([ecoApp]);
    await t?.cleanup();
    await restore();
  });

  it("answers the JSON API with the store's series: the worker's memory, the size's quota, the crashes", async () => {
    const report = await waitFor("worker.1's memory and crash.1's crashes in the API", async () => {
      const r = await dashboard.json<Report>(`/api/apps/${t.app}/metrics?since=2h`);
      const chart = (id: string) => r.body.charts.find((c) => c.id === id)?.series ?? [];
      const worker = chart("memory").find((s) => s.name === "worker.1");
      const crashes = chart("events").find((s) => s.name === "crashes");
      return worker?.latest && crashes?.points.some((p) => (p ?? 0) > 0) ? r : undefined;
    });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ app: t.app, processType: null, resolutionSeconds: 60, since: "2h" });
    const memory = report.body.charts.find((c) => c.id === "memory")?.series ?? [];
    // 100 MB of strings, plus perl itself.
    expect(memory.find((s) => s.name === "worker.1")?.latest).toBeGreaterThan(95);
    expect(memory.find((s) => s.name === "worker.1")?.latest).toBeLessThan(200);
    // Standard-1X's quota, for each type whose dynos were sampled (crash.1 may die before its first sample).
    const quotas = memory.filter((s) => s.name === "quota" && s.labels.process_type !== "crash");
    expect(quotas.map((s) => [s.labels.process_type, s.latest])).toEqual([
      ["web", 512],
      ["worker", 512],
    ]);
    expect((await dashboard.json(`/api/apps/${t.app}/metrics?since=8d`)).status).toBe(400);
    expect((await dashboard.json(`/api/apps/${ecoApp}/metrics`)).body.error).toContain("Metrics are not available for Eco dynos");
    expect((await dashboard.json("/api/apps/no-such-app/metrics")).status).toBe(404);
  });

  it("draws each series of the API's answer as an SVG line whose latest value is the answer's", { timeout: 900_000 }, async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    try {
      // The page's own request: what it drew must be what the API gave it (the store moves every second).
      const answer = page.waitForResponse((r) => r.url().includes(`/api/apps/${t.app}/metrics`));
      await page.goto(`${dashboard.url}/?app=${t.app}&since=2h&refresh=0`);
      const report = (await (await answer).json()) as Report;
      await page.waitForSelector('body[data-ready="true"]');
      // The page picked the web type, as Heroku's tab opens on web.
      expect(report.processType).toBe("web");
      // Every process type: the web dyno, the worker and the crashing dyno on the same charts.
      const allAnswer = page.waitForResponse((r) => r.url().includes(`/api/apps/${t.app}/metrics`));
      await page.selectOption("#type", "");
      const shown = (await (await allAnswer).json()) as Report;
      expect(shown.processType).toBeNull();
      await page.waitForSelector('body[data-ready="true"]');
      const drawn = await page.$$eval("section.chart path.series", (paths) =>
        paths.map((p) => ({
          chart: p.closest("section")?.getAttribute("data-chart"),
          series: p.getAttribute("data-series"),
          latest: p.getAttribute("data-latest"),
          points: Number(p.getAttribute("data-points")),
          d: p.getAttribute("d") ?? "",
        })),
      );
      const expected = shown.charts.flatMap((c) =>
        c.series
          .filter((s) => s.points.some((p) => p !== null))
          .map((s) => ({ chart: c.id, series: s.name, latest: String(s.latest ?? "") })),
      );
      expect(drawn.map(({ chart, series, latest }) => ({ chart, series, latest }))).toEqual(expected);
      expect(drawn.find((d) => d.chart === "memory" && d.series === "worker.1")?.latest).toMatch(/^\d{2,3}(\.\d+)?$/);
      const quotaLines = drawn.filter((d) => d.chart === "memory" && d.series === "quota").map((d) => d.latest);
      expect(quotaLines.length).toBeGreaterThanOrEqual(2);
      expect(new Set(quotaLines)).toEqual(new Set(["512"]));
      expect(drawn.filter((d) => d.chart === "events").map((d) => d.series)).toEqual(["restarts", "crashes"]);
      for (const d of drawn) {
        expect(d.points).toBeGreaterThan(0);
        expect(d.d).toMatch(/^M[\d.]+ [\d.]+/);
      }
      // The legend says the same numbers a person reads.
      expect(await page.textContent('section[data-chart="memory"] .legend')).toMatch(/quota web 512/);
      expect(errors).toEqual([]);

      // The router's series, once the store keeps them (router_buckets), are drawn for web too.
      if ((await storeTables(docker)).includes("router_buckets")) {
        // The manager folds the router's log in every few seconds: wait for the API to have it first.
        await waitFor(
          "the router's series in the API",
          async () => {
            const r = await dashboard.json<Report>(`/api/apps/${t.app}/metrics?type=web&since=2h`);
            return r.body.charts.find((c) => c.id === "throughput")?.series.length ? true : undefined;
          },
          60_000,
        );
        await page.selectOption("#type", "web");
        // Attached, not visible: a window with one bucket draws each line as a dot, which has no box.
        await page.waitForSelector('section[data-chart="throughput"][data-state="ready"] path[data-series="2xx"]', { state: "attached" });
        await page.waitForSelector('section[data-chart="response_time"][data-state="ready"] path[data-series="p95"]', {
          state: "attached",
        });
      }

      // An Eco app: the message, not an empty chart.
      await page.selectOption("#app", ecoApp);
      await page.waitForSelector('body[data-ready="true"]');
      expect(await page.textContent("#message")).toContain("Metrics are not available for Eco dynos");
      expect(await page.$$("section.chart")).toHaveLength(0);

      // Back to the app, all of it, for the screenshot kept as the test's artifact. SCREENSHOT_SECONDS
      // lets minutes of history (under the same little load) build up first, for the README's picture.
      const history = Number(process.env.SCREENSHOT_SECONDS ?? "0");
      if (history > 0) {
        const load = steadyLoad(t.url, 1);
        await new Promise((r) => setTimeout(r, history * 1000));
        await load.stop();
      }
      await page.goto(`${dashboard.url}/?app=${t.app}&type=&since=2h&refresh=0`);
      await page.waitForSelector('body[data-ready="true"]');
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, "metrics-page.png"), fullPage: true });
      expect(fs.statSync(path.join(ARTIFACTS, "metrics-page.png")).size).toBeGreaterThan(10_000);
    } finally {
      await page.close();
    }
  });

  it("answers Prometheus' scrape with the same series", async () => {
    const r = await dashboard.get("/metrics");
    expect(r.type).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(r.body).toContain(
      `dynoform_dyno_memory_quota_bytes{app="${t.app}",process_type="worker",dyno="worker.1",size="standard-1x"} 536870912`,
    );
    expect(r.body).not.toContain(ecoApp);
  });
});
