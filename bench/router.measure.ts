import { afterAll, beforeAll, it } from "vitest";
import { putFile } from "../provider/docker/docker-exec";
import { routerImageTag } from "../provider/router/router-controller";
import { docker } from "../test/support/docker";
import { getUntil } from "../test/support/http";
import { uniqueSuffix } from "../test/support/pulumi";
import { RouterTestApp } from "../test/support/router-app";
import { wrk, type WrkResult } from "./wrk";

// Issue 5's target: the Dynoform router (50 apps routed, logging and Heroku's headers on) against
// a minimal HAProxy with a static config and no logging (the anchor: the cost of one proxy hop),
// with straight-to-the-dyno for reference; same dyno, same wrk, same run. Goal: ≥ 90% of the
// anchor's throughput and at most +1 ms at p99.
const APPS = 50;
const ports = { router: 8196, direct: 8197, anchor: 8198 };
const router = { name: `r-bench-${uniqueSuffix()}`, httpPort: ports.router };
const apps = Array.from({ length: APPS }, (_, i) => new RouterTestApp(i === 0 ? "bench-rt" : `bench-rt${i}`, router));
const target = apps[0];
const extra: string[] = [];

const MINIMAL_HAPROXY = (dynoIp: string) => `global
  master-worker
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend http
  bind :80
  default_backend dyno
backend dyno
  server web.1 ${dynoIp}:5000
`;

beforeAll(async () => {
  await target.setup();
  for (const a of apps.slice(1)) await a.setup(target.image);
  for (const a of apps) await a.scale(1);
  await getUntil(target.url, (r) => r.status === 200);
  const dynoIp = (await docker.getContainer(`${target.app}.web.1`).inspect()).NetworkSettings.Networks[target.network].IPAddress;

  const direct = await docker.createContainer({
    name: `bench-direct-${uniqueSuffix()}`,
    Image: target.image,
    Env: ["PORT=5000", "DYNO=web.1"],
    Labels: { "dynoform.managed": "true", "dynoform.app": target.app },
    ExposedPorts: { "5000/tcp": {} },
    HostConfig: { PortBindings: { "5000/tcp": [{ HostIp: "127.0.0.1", HostPort: String(ports.direct) }] } },
  });
  await direct.start();
  extra.push(direct.id);

  const anchor = await docker.createContainer({
    name: `bench-anchor-${uniqueSuffix()}`,
    Image: routerImageTag(),
    Labels: { "dynoform.managed": "true", "dynoform.app": target.app },
    ExposedPorts: { "80/tcp": {} },
    HostConfig: { NetworkMode: target.network, PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: String(ports.anchor) }] } },
  });
  await putFile(anchor, "/etc/haproxy", "haproxy.cfg", MINIMAL_HAPROXY(dynoIp));
  await anchor.start();
  extra.push(anchor.id);
  await getUntil(`http://x:${ports.anchor}/`, (r) => r.status === 200);
  await getUntil(`http://x:${ports.direct}/`, (r) => r.status === 200);
}, 600_000);

afterAll(async () => {
  await Promise.all(
    extra.map((id) =>
      docker
        .getContainer(id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  for (const a of apps) await a.cleanup();
});

const mean = (rs: WrkResult[], k: keyof WrkResult) => rs.reduce((n, r) => n + r[k], 0) / rs.length;

it("router throughput and latency against a minimal HAProxy", async () => {
  const opts = { seconds: 10, connections: 16 };
  await wrk(ports.router, target.hostname, { ...opts, seconds: 3 }); // warm-up
  const direct = await wrk(ports.direct, target.hostname, opts);
  const anchor: WrkResult[] = [];
  const ours: WrkResult[] = [];
  for (let round = 0; round < 2; round++) {
    anchor.push(await wrk(ports.anchor, target.hostname, opts));
    ours.push(await wrk(ports.router, target.hostname, opts));
  }
  const row = (name: string, rps: number, p50: number, p99: number) =>
    `${name.padEnd(34)} ${rps.toFixed(0).padStart(7)} req/s  p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms`;
  const a = { rps: mean(anchor, "requestsPerSecond"), p50: mean(anchor, "p50Ms"), p99: mean(anchor, "p99Ms") };
  const o = { rps: mean(ours, "requestsPerSecond"), p50: mean(ours, "p50Ms"), p99: mean(ours, "p99Ms") };
  console.log(
    [
      "",
      `bench/router (wrk -c${opts.connections}, ${opts.seconds} s per run; anchor and router alternated twice, means shown)`,
      row("straight to the dyno", direct.requestsPerSecond, direct.p50Ms, direct.p99Ms),
      row("minimal HAProxy (anchor)", a.rps, a.p50, a.p99),
      row(`Dynoform router, ${APPS} apps`, o.rps, o.p50, o.p99),
      `throughput ratio router/anchor: ${(o.rps / a.rps).toFixed(3)} (goal ≥ 0.90); p99 added: ${(o.p99 - a.p99).toFixed(2)} ms (goal ≤ 1 ms)`,
      `failed requests: router ${ours.reduce((n, r) => n + r.failed, 0)}, anchor ${anchor.reduce((n, r) => n + r.failed, 0)}`,
      "",
    ].join("\n"),
  );
});
