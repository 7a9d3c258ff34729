import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDynoManager, readRouterMetrics, removeDynoManagerIfIdle } from "../../provider/formations/dyno-manager-controller";
import { execIn } from "../../provider/docker/docker-exec";
import { backendName, ADMIN_SOCKET } from "../../provider/router/router-names";
import { bucketOf, decodeHistogram, histogramCount, quantileMs } from "../../provider/dyno-manager/latency-histogram";
import type { RouterRow } from "../../provider/dyno-manager/metrics-store";
import type { CommandIO } from "../../cli/check";
import { runMetrics } from "../../cli/metrics";
import { docker, removeTestRouter, waitFor } from "../support/docker";
import { get } from "../support/http";
import { uniqueSuffix } from "../support/pulumi";
import { RouterTestApp } from "../support/router-app";

// The router's requests in the metrics store: the dyno manager follows the router's request ring
// and folds each request of a Standard app into its buckets (counts per status class, a
// response-time histogram, router errors by code); an Eco app on the same router stores none.
// Bounded real load through a real router; the manager writes every second here (Heroku: 20 s).
describe("router metrics", () => {
  const router = { name: `r-metrics-${uniqueSuffix()}`, httpPort: 8231 };
  const standard = new RouterTestApp("rmet", router);
  const eco = new RouterTestApp("rmeco", router);
  const saved = process.env.DYNOFORM_METRICS_INTERVAL;

  /** Requests the Standard app answered (any status): each must be stored once. */
  let answered = 0;
  const rows = (app: string) => readRouterMetrics(docker, { app, res: 60, sinceEpoch: 0 });
  const sum = (rs: RouterRow[], k: "requests" | "s2xx" | "s3xx" | "s4xx" | "s5xx") => rs.reduce((n, r) => n + r[k], 0);
  const admin = (command: string) =>
    execIn(docker.getContainer(router.name), ["sh", "-c", `echo "${command}" | socat stdio unix-connect:${ADMIN_SOCKET}`]);

  beforeAll(async () => {
    process.env.DYNOFORM_METRICS_INTERVAL = "1";
    await ensureDynoManager();
    await standard.setup();
    await eco.setup(standard.image);
    await standard.scale(1);
    await eco.scale(1, { size: "eco" });
  }, 300_000);

  afterAll(async () => {
    await eco.cleanup();
    await standard.cleanup();
    await removeTestRouter(router.name);
    if (saved === undefined) delete process.env.DYNOFORM_METRICS_INTERVAL;
    else process.env.DYNOFORM_METRICS_INTERVAL = saved;
    await removeDynoManagerIfIdle();
  });

  it("stores each request of a Standard app: counts per status class, its p95's bucket, router errors by code", async () => {
    // Every request to the app is this test's, and each must be stored once: count what was answered.
    const before = await rows(standard.app);
    expect(sum(before, "requests")).toBe(0);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await get(standard.url)).status);
    for (let i = 0; i < 6; i++) statuses.push((await get(`${standard.url}status/404`)).status);
    for (let i = 0; i < 4; i++) statuses.push((await get(`${standard.url}status/500`)).status);
    for (let i = 0; i < 3; i++) statuses.push((await get(`${standard.url}status/302`)).status);
    for (let i = 0; i < 5; i++) statuses.push((await get(`${standard.url}delay/300`)).status);
    // No dyno to answer: the router's own error (H10), as Heroku's router logs it.
    await admin(`set server ${backendName(standard.app)}/web.1 state maint`);
    for (let i = 0; i < 2; i++) statuses.push((await get(standard.url)).status);
    await admin(`set server ${backendName(standard.app)}/web.1 state ready`);
    expect(statuses.filter((s) => s === 503)).toHaveLength(2);

    answered += statuses.length;
    const after = await waitFor(
      "the load in the store",
      async () => {
        const r = await rows(standard.app);
        return sum(r, "requests") >= 40 ? r : undefined;
      },
      90_000,
    );
    const delta = (k: "requests" | "s2xx" | "s3xx" | "s4xx" | "s5xx") => sum(after, k) - sum(before, k);
    expect([delta("requests"), delta("s2xx"), delta("s3xx"), delta("s4xx"), delta("s5xx")]).toEqual([40, 25, 3, 6, 6]);
    const errors = after.flatMap((r) => r.errors.split(",")).filter(Boolean);
    expect(errors.some((e) => /^H10:[1-9]/.test(e))).toBe(true);
    // The load's own histogram (histograms add up exactly, so after less before): 5 of its 40
    // requests waited 300 ms, so its p95 is in 300 ms's bucket.
    const latency = decodeHistogram(after.map((r) => r.latency).join(","));
    for (const [b, n] of decodeHistogram(before.map((r) => r.latency).join(","))) latency.set(b, (latency.get(b) ?? 0) - n);
    expect(histogramCount(latency)).toBe(40);
    const p95 = quantileMs(latency, 0.95)!;
    expect(bucketOf(p95)).toBe(bucketOf(305));
    expect(p95).toBeGreaterThanOrEqual(300);
    expect(p95).toBeLessThan(300 * 1.2 * 1.2);

    // As a person reads them.
    let out = "";
    const io: CommandIO = { stdout: (t) => (out += t), stderr: (t) => (out += t) };
    expect(await runMetrics(["--app", standard.app, "--type", "web"], io, docker)).toBe(0);
    expect(out).toContain("=== web router");
    expect(out).toMatch(/throughput 5xx +[▁▂▃▄▅▆▇█ ]+ +[\d.]+ req\/min/);
    expect(out).toMatch(/errors +[▁▂▃▄▅▆▇█ ]+ +H10 [1-9]/);
    if (process.env.SHOW_METRICS) console.log(out);
  }, 180_000);

  it("counts each request once across a router reload and a router restart", async () => {
    // New connections: a kept-alive one would reach the old worker after the reload.
    const close = { headers: { Connection: "close" } };
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) if ((await get(standard.url, close)).status > 0) answered++;
    };
    await send(5);
    // A reload (every deploy) starts a new worker with a new, empty ring.
    await docker.getContainer(router.name).kill({ signal: "SIGUSR2" });
    await new Promise((r) => setTimeout(r, 1000));
    await send(5);
    await docker.getContainer(router.name).restart({ t: 1 });
    // Every answer counts, the router's own 503s while it finds the dyno again included.
    await waitFor("the restarted router", async () => {
      const r = await get(standard.url, close).catch(() => undefined);
      if (r) answered++;
      return r?.status === 200 ? true : undefined;
    });
    await send(5);
    const stored = async () => sum(await rows(standard.app), "requests");
    await waitFor("every request in the store", async () => ((await stored()) >= answered ? true : undefined), 90_000);
    // And none twice: nothing more comes.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await stored()).toBe(answered);
  }, 240_000);

  it("stores nothing for an Eco app's requests", async () => {
    for (let i = 0; i < 10; i++) expect((await get(eco.url)).status).toBe(200);
    // The Standard app's next request lands in the store after these: by then the Eco ones would have too.
    const seen = sum(await rows(standard.app), "requests");
    await get(standard.url);
    await waitFor("the Standard app's request after the Eco app's", async () =>
      sum(await rows(standard.app), "requests") > seen ? true : undefined,
    );
    expect(await rows(eco.app)).toEqual([]);
  }, 60_000);
});
