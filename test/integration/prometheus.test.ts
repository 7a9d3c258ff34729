import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DashboardProcess, fastDynoManager, startMetricsWorkers } from "../support/dashboard";
import { waitFor } from "../support/docker";
import { freePort } from "../support/pebble";
import { uniqueSuffix } from "../support/pulumi";
import { RouterTestApp } from "../support/router-app";

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Debian's Prometheus server on a free port with its own storage, scraping `target` every 2 s. */
class PrometheusServer {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-prometheus-"));
  url = "";
  private child?: ChildProcess;
  private output = "";

  async start(target: string): Promise<void> {
    const port = await freePort();
    const config = path.join(this.dir, "prometheus.yml");
    fs.writeFileSync(
      config,
      `global:
  scrape_interval: 2s
  evaluation_interval: 2s
scrape_configs:
  - job_name: dynoform
    # A scrape is a docker exec into the dyno manager: on a busy machine it may take over a second.
    scrape_interval: 2s
    scrape_timeout: 2s
    static_configs:
      - targets: ["${target}"]
`,
    );
    this.child = spawn(
      "prometheus",
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(this.dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.child.stdout?.on("data", (d) => (this.output += d));
    this.child.stderr?.on("data", (d) => (this.output += d));
    this.url = `http://127.0.0.1:${port}`;
    await waitFor("Prometheus to be ready", async () => ((await this.get("/-/ready")).status === 200 ? true : undefined), 30_000).catch(
      (e: Error) => {
        throw new Error(`${e.message}\n${this.output.slice(-2000)}`);
      },
    );
  }

  get(p: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      http
        .get(`${this.url}${p}`, (res) => {
          let body = "";
          res.on("data", (d) => (body += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on("error", reject);
    });
  }

  /** A PromQL instant query: its vector. */
  async query(promql: string): Promise<Sample[]> {
    const r = await this.get(`/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = JSON.parse(r.body) as { status: string; error?: string; data: { resultType: string; result: Sample[] } };
    if (body.status !== "success") throw new Error(`PromQL ${promql}: ${body.error}`);
    return body.data.result;
  }

  /** Polls a query until it returns samples (Prometheus scrapes every 2 s); a failure says how the scrapes went. */
  async until(promql: string, accept: (s: Sample[]) => boolean = (s) => s.length > 0): Promise<Sample[]> {
    try {
      return await waitFor(
        `PromQL ${promql}`,
        async () => {
          const s = await this.query(promql);
          return accept(s) ? s : undefined;
        },
        90_000,
      );
    } catch (e) {
      const targets = (await this.get("/api/v1/targets")).body;
      throw new Error(`${(e as Error).message}; scrape targets: ${targets.slice(0, 1500)}`);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// Debian's Prometheus scrapes `dynoform dashboard`'s /metrics and PromQL reads the dyno manager's
// series back: a worker holding 100 MB on Standard-1X, a dyno that crashes every few seconds.
describe("Prometheus scrapes dynoform dashboard", () => {
  let t: RouterTestApp;
  const dashboard = new DashboardProcess();
  const prometheus = new PrometheusServer();
  let restore = async () => {};

  beforeAll(async () => {
    t = new RouterTestApp("prom", { name: `r-prom-${uniqueSuffix()}`, httpPort: await freePort() });
    ({ restore } = await fastDynoManager());
    await t.setup();
    await startMetricsWorkers(t);
    await dashboard.start();
    await prometheus.start(new URL(dashboard.url).host);
  }, 300_000);

  afterAll(async () => {
    await prometheus.stop();
    await dashboard.stop();
    await t?.cleanup();
    await restore();
  });

  it("reads the size's quota, the memory in use and the load per dyno, with app, process_type, dyno and size", async () => {
    const [quota] = await prometheus.until(`dynoform_dyno_memory_quota_bytes{app="${t.app}",dyno="worker.1"}`);
    expect(quota.metric).toMatchObject({
      __name__: "dynoform_dyno_memory_quota_bytes",
      app: t.app,
      process_type: "worker",
      dyno: "worker.1",
      size: "standard-1x",
      job: "dynoform",
    });
    expect(Number(quota.value[1])).toBe(512 * 1024 * 1024);
    // 100 MB of strings, plus perl itself: between 95 and 200 MB, in bytes.
    const [memory] = await prometheus.until(`dynoform_dyno_memory_bytes{app="${t.app}",dyno="worker.1"} > 95 * 1024 * 1024`);
    expect(Number(memory.value[1])).toBeLessThan(200 * 1024 * 1024);
    // The same series as the JSON API, as a ratio PromQL can compute: the worker is at about a fifth of its quota.
    const [ratio] = await prometheus.query(
      `dynoform_dyno_memory_bytes{app="${t.app}",dyno="worker.1"} / dynoform_dyno_memory_quota_bytes{app="${t.app}",dyno="worker.1"}`,
    );
    expect(Number(ratio.value[1])).toBeGreaterThan(0.18);
    expect(Number(ratio.value[1])).toBeLessThan(0.4);
    // crash.1 is down most of the time (its cool-offs grow): the worker's load is the one always there.
    const [load] = await prometheus.until(`dynoform_dyno_load{app="${t.app}",dyno="worker.1"}`);
    expect(Number(load.value[1])).toBeGreaterThanOrEqual(0);
  });

  it("counts crashes and restarts of the crashing dyno", async () => {
    const [crashes] = await prometheus.until(`dynoform_dyno_crashes_total{app="${t.app}",dyno="crash.1"} >= 2`);
    expect(crashes.metric).toMatchObject({ process_type: "crash", size: "standard-1x" });
    const [restarts] = await prometheus.until(`dynoform_dyno_restarts_total{app="${t.app}",dyno="crash.1"} >= 1`);
    expect(Number(restarts.value[1])).toBeGreaterThanOrEqual(1);
    // A counter that grows: Prometheus sees an increase over the scrapes.
    await prometheus.until(`increase(dynoform_dyno_crashes_total{app="${t.app}",dyno="crash.1"}[1m]) > 0`);
    // The worker holds on: no crash counted for it.
    const [workerCrashes] = await prometheus.until(`dynoform_dyno_crashes_total{app="${t.app}",dyno="worker.1"}`);
    expect(workerCrashes.value[1]).toBe("0");
  });

  it("has every family's HELP and TYPE as Prometheus read them", async () => {
    const r = await prometheus.get(`/api/v1/metadata?metric=dynoform_dyno_memory_bytes`);
    expect(JSON.parse(r.body).data.dynoform_dyno_memory_bytes[0]).toMatchObject({ type: "gauge" });
    const c = await prometheus.get(`/api/v1/metadata?metric=dynoform_dyno_crashes_total`);
    expect(JSON.parse(c.body).data.dynoform_dyno_crashes_total[0]).toMatchObject({ type: "counter" });
    const up = await prometheus.query(`up{job="dynoform"}`);
    expect(up.map((s) => s.value[1])).toEqual(["1"]);
  });
});
