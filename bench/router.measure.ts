import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, it } from "vitest";
import { execIn, putFiles } from "../provider/docker/docker-exec";
import { buildImage, imageExists } from "../provider/docker/image-build";
import { changeRouter, routerImageTag } from "../provider/router/router-controller";
import { writeTlsFiles } from "../provider/router/router-tls-store";
import { tlsFile } from "../provider/tls/router-tls";
import { makeCa, makeCert, type TestCert } from "../test/support/certs";
import { docker } from "../test/support/docker";
import { getUntil } from "../test/support/http";
import { REPO, uniqueSuffix } from "../test/support/pulumi";
import { RouterTestApp } from "../test/support/router-app";
import {
  CERT_DIR,
  PEER_DOCKERFILES,
  type PeerApp,
  renderCaddyfile,
  renderMinimalHaproxy,
  renderMinimalHaproxyMap,
  renderNginx,
  renderTraefikDynamic,
} from "./peers";
import { type LoadKind, type LoadResult, wrkLoad } from "./wrk";

// Issue 17: Dynoform's router (50 apps routed; Heroku's request log, X-Request-Id, headers and
// error pages on) against what other self-hosted PaaS tools put in front of the same dynos:
// nginx as Dokku writes it, Caddy, Traefik v3 as Coolify writes it (file provider), and a minimal
// HAProxy as the floor. Same engine, same 50 dynos, same wrk, alternating rounds; every number is
// a ratio against the best of nginx/Caddy/Traefik in the same run. Goal: ≥ 1.0× on each load, p99
// within +1 ms of the best.
const APPS = 50;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
/** 16 connections in all: one process for plain HTTP (Host rotates over the 50 apps), 16 for HTTPS (one SNI each). */
const ALL_LOADS: Array<{ kind: LoadKind; processes: number; connectionsEach: number; label: string }> = [
  { kind: "keep-alive", processes: 1, connectionsEach: 16, label: "HTTP keep-alive" },
  { kind: "close", processes: 1, connectionsEach: 16, label: "HTTP Connection: close" },
  { kind: "https", processes: 16, connectionsEach: 1, label: "HTTPS keep-alive, SNI" },
];
/** BENCH_LOADS=keep-alive,https measures only those loads (A/B runs). */
const LOADS = ALL_LOADS.filter((l) => !process.env.BENCH_LOADS || process.env.BENCH_LOADS.split(",").includes(l.kind));

interface Target {
  name: string;
  http: number;
  https: number;
  /** Why it is not measured (Traefik when it cannot be built here). */
  missing?: string;
  containerId?: string;
}
const targets: Target[] = [
  { name: "Dynoform router", http: 8196, https: 8186 },
  { name: "nginx (Dokku)", http: 8191, https: 8181 },
  { name: "Caddy", http: 8192, https: 8182 },
  { name: "Traefik v3 (Coolify)", http: 8193, https: 8183 },
  { name: "minimal HAProxy (floor)", http: 8198, https: 8188 },
];
const PEERS = ["nginx (Dokku)", "Caddy", "Traefik v3 (Coolify)"];
// For A/B runs of the router's config (one change at a time): BENCH_PEERS=nginx measures only the
// peers whose name starts with one of these words; BENCH_ROUTER_VARIANTS names a JSON file of
// `[{ "name": "no uuid", "replace": [["text in haproxy.cfg", "its replacement"], …] }]`, each run
// as a copy of the router (its /etc/haproxy, TLS store included) in a container from the router
// image on the same networks. A replacement that matches nothing fails the run.
const ONLY = process.env.BENCH_PEERS?.split(",").map((w) => w.trim().toLowerCase());
for (const t of targets.slice(1)) if (ONLY && !ONLY.some((w) => t.name.toLowerCase().startsWith(w))) t.missing = "left out (BENCH_PEERS)";
interface Variant {
  name: string;
  replace: Array<[string, string]>;
}
const variants: Variant[] = process.env.BENCH_ROUTER_VARIANTS ? JSON.parse(fs.readFileSync(process.env.BENCH_ROUTER_VARIANTS, "utf8")) : [];
for (const [i, v] of variants.entries()) targets.push({ name: `router: ${v.name}`, http: 8200 + i, https: 8220 + i });

const router = { name: `r-bench-${uniqueSuffix()}`, httpPort: 8196, httpsPort: 8186 };
const apps = Array.from({ length: APPS }, (_, i) => new RouterTestApp(i === 0 ? "bench-rt" : `bench-rt${i}`, router));
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-router-bench-"));
const exec = promisify(execFile);

/** The peer images, built once per Dockerfile content (the Debian packages are installed in the build). */
async function peerImage(kind: keyof typeof PEER_DOCKERFILES, files: Record<string, string> = {}): Promise<string> {
  const { createHash } = await import("node:crypto");
  const hash = createHash("sha256").update(PEER_DOCKERFILES[kind]);
  for (const f of Object.keys(files).sort()) hash.update(f).update(fs.statSync(files[f]).mtimeMs.toString());
  const tag = `dynoform/bench-${kind}:${hash.digest("hex").slice(0, 12)}`;
  if (await imageExists(tag)) return tag;
  const dir = fs.mkdtempSync(path.join(scratch, `${kind}-`));
  fs.writeFileSync(path.join(dir, "Dockerfile"), PEER_DOCKERFILES[kind]);
  for (const [name, from] of Object.entries(files)) fs.copyFileSync(from, path.join(dir, name));
  await buildImage(dir, tag, { "dynoform.bench": "router-peer" });
  return tag;
}

async function startPeer(t: Target, image: string, files: Record<string, Record<string, string>>, cmd?: string[]): Promise<void> {
  const c = await docker.createContainer({
    name: `bench-${t.name.split(" ")[0].toLowerCase()}-${uniqueSuffix()}`,
    Image: image,
    ...(cmd ? { Cmd: cmd } : {}),
    Labels: { "dynoform.bench": "router-peer" },
    ExposedPorts: { "80/tcp": {}, "443/tcp": {} },
    HostConfig: {
      NetworkMode: apps[0].network,
      PortBindings: {
        "80/tcp": [{ HostIp: "127.0.0.1", HostPort: String(t.http) }],
        "443/tcp": [{ HostIp: "127.0.0.1", HostPort: String(t.https) }],
      },
    },
  });
  t.containerId = c.id;
  for (const a of apps.slice(1)) await docker.getNetwork(a.network).connect({ Container: c.id });
  for (const [dir, content] of Object.entries(files)) {
    // The archive API needs an existing folder: the certificates' folder is made with them.
    if (dir !== CERT_DIR) await putFiles(c, dir, content);
    else
      await putFiles(c, "/", Object.fromEntries(Object.entries(content).map(([n, v]) => [`${CERT_DIR.slice(1)}/${n}`, v])), {
        private: true,
      });
  }
  await c.start();
}

let certs: TestCert[] = [];

beforeAll(async () => {
  const traefikBuild = targets[3].missing
    ? Promise.resolve("")
    : exec("bash", [path.join(REPO, "scripts/build-traefik.sh")], { maxBuffer: 64 << 20 }).then(
        (r) => r.stdout.trim().split("\n").at(-1) ?? "",
        (e: Error & { stderr?: string }) => {
          targets[3].missing = `not built: ${(e.stderr ?? e.message).trim().split("\n").slice(-3).join(" / ")}`;
          return "";
        },
      );
  await apps[0].setup();
  for (const a of apps.slice(1)) await a.setup(apps[0].image);
  for (const a of apps) await a.scale(1);
  await getUntil(apps[0].url, (r) => r.status === 200);

  const ca = await makeCa("Dynoform Bench CA");
  certs = await Promise.all(apps.map((a) => makeCert(ca, [a.hostname])));
  const tls: Record<string, string> = {};
  apps.forEach((a, i) => {
    tls[tlsFile.domain(a.hostname)] = JSON.stringify({ hostname: a.hostname, app: a.app });
    tls[tlsFile.certificate(a.hostname)] = certs[i].certPem + certs[i].keyPem;
  });
  await changeRouter(router, (r) => writeTlsFiles(r, tls));

  const peerApps: PeerApp[] = [];
  for (const a of apps) {
    const info = await docker.getContainer(`${a.app}.web.1`).inspect();
    peerApps.push({ name: a.app, hostname: a.hostname, dynos: [`${info.NetworkSettings.Networks[a.network].IPAddress}:5000`] });
  }
  const certFiles: Record<string, string> = {};
  const pemFiles: Record<string, string> = {};
  apps.forEach((a, i) => {
    certFiles[`${a.hostname}.crt`] = certs[i].certPem;
    certFiles[`${a.hostname}.key`] = certs[i].keyPem;
    pemFiles[`${a.hostname}.pem`] = certs[i].certPem + certs[i].keyPem;
  });

  await startPeer(targets[1], await peerImage("nginx"), { "/etc/nginx": { "bench.conf": renderNginx(peerApps) }, [CERT_DIR]: certFiles });
  await startPeer(targets[2], await peerImage("caddy"), {
    "/etc/caddy": { "bench.Caddyfile": renderCaddyfile(peerApps) },
    [CERT_DIR]: certFiles,
  });
  await startPeer(targets[4], routerImageTag(), {
    "/etc/haproxy": { "haproxy.cfg": renderMinimalHaproxy(peerApps), "hosts.map": renderMinimalHaproxyMap(peerApps) },
    [CERT_DIR]: pemFiles,
  });
  const config = (await execIn(docker.getContainer(router.name), ["cat", "/etc/haproxy/haproxy.cfg"])).output;
  const etc = await docker.getContainer(router.name).getArchive({ path: "/etc/haproxy" });
  const chunks: Buffer[] = [];
  for await (const c of etc as NodeJS.ReadableStream) chunks.push(c as Buffer);
  for (const [i, v] of variants.entries()) {
    let cfg = config;
    for (const [from, to] of v.replace) {
      if (!cfg.includes(from)) throw new Error(`variant ${v.name}: ${JSON.stringify(from)} is not in the router's config`);
      cfg = cfg.split(from).join(to);
    }
    const t = targets[5 + i];
    const c = await docker.createContainer({
      name: `bench-variant-${i}-${uniqueSuffix()}`,
      Image: routerImageTag(),
      Labels: { "dynoform.bench": "router-peer" },
      ExposedPorts: { "80/tcp": {}, "443/tcp": {} },
      HostConfig: {
        NetworkMode: router.name,
        PortBindings: {
          "80/tcp": [{ HostIp: "127.0.0.1", HostPort: String(t.http) }],
          "443/tcp": [{ HostIp: "127.0.0.1", HostPort: String(t.https) }],
        },
      },
    });
    t.containerId = c.id;
    for (const a of apps) await docker.getNetwork(a.network).connect({ Container: c.id });
    await c.putArchive(Buffer.concat(chunks), { path: "/etc" });
    await putFiles(c, "/etc/haproxy", { "haproxy.cfg": cfg });
    await c.start();
  }
  const traefik = await traefikBuild;
  if (traefik) {
    await startPeer(targets[3], await peerImage("traefik", { traefik }), {
      "/etc": { "traefik/dynamic.yml": renderTraefikDynamic(peerApps) },
      [CERT_DIR]: certFiles,
    });
  }
  for (const t of targets.filter((x) => !x.missing)) {
    await getUntil(`http://${apps[0].hostname}:${t.http}/`, (r) => r.status === 200, 60_000).catch((e: Error) => {
      throw new Error(`${t.name} does not answer on 127.0.0.1:${t.http}: ${e.message}`);
    });
  }
}, 1_800_000);

afterAll(async () => {
  await Promise.all(
    targets.map((t) =>
      t.containerId
        ? docker
            .getContainer(t.containerId)
            .remove({ force: true })
            .catch(() => undefined)
        : undefined,
    ),
  );
  for (const a of apps) await a.cleanup();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** A container's CPU time so far (ns): its cgroup's, as `docker stats` reads it. */
async function cpuNs(id: string): Promise<number> {
  const s = (await docker.getContainer(id).stats({ stream: false, "one-shot": true } as { stream: false })) as unknown as {
    cpu_stats: { cpu_usage: { total_usage: number } };
  };
  return s.cpu_stats.cpu_usage.total_usage;
}

const mean = (xs: number[]) => xs.reduce((n, x) => n + x, 0) / xs.length;

it("the router against nginx, Caddy, Traefik and a minimal HAProxy", async () => {
  const hosts = apps.map((a) => a.hostname);
  const live = targets.filter((t) => !t.missing);
  const results = new Map<string, Array<LoadResult & { cpuUs: number }>>();
  const routerId = (await docker.getContainer(router.name).inspect()).Id;
  // The proxy's own CPU per request (µs): what it costs, whatever else the shared machine runs
  // (req/s moves with the load of others' tests; a proxy's CPU time per request much less).
  const run = async (t: Target, load: (typeof LOADS)[number], round: number, seconds = SECONDS) => {
    const before = await cpuNs(t.containerId ?? routerId);
    const r = await wrkLoad({
      port: load.kind === "https" ? t.https : t.http,
      kind: load.kind,
      hosts,
      // HTTPS: over the rounds the 16 connections' SNI names walk through all 50 hosts.
      sniHosts: Array.from({ length: load.processes }, (_, i) => hosts[(round * load.processes + i) % hosts.length]),
      connectionsEach: load.connectionsEach,
      seconds,
      scriptDir: scratch,
    });
    return { ...r, cpuUs: ((await cpuNs(t.containerId ?? routerId)) - before) / 1000 / r.requests };
  };
  for (const t of live) for (const load of LOADS) await run(t, load, 0, 2).catch(() => undefined); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const load of LOADS) {
      // Every other round in reverse order, so no target always runs first or last in a round.
      for (const t of round % 2 ? [...live].reverse() : live) {
        const key = `${t.name}|${load.kind}`;
        results.set(key, [...(results.get(key) ?? []), await run(t, load, round)]);
      }
    }
  }
  const lines = [
    "",
    `bench/router, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)} at the end; ` +
      `${ROUNDS} rounds × ${SECONDS} s per load and target, alternating; 16 connections; means over rounds`,
  ];
  for (const load of LOADS) {
    const row = (t: Target) => {
      const rs = results.get(`${t.name}|${load.kind}`) ?? [];
      return {
        t,
        rps: mean(rs.map((r) => r.requestsPerSecond)),
        p50: mean(rs.map((r) => r.p50Ms)),
        p99: mean(rs.map((r) => r.p99Ms)),
        failed: rs.reduce((n, r) => n + r.failed, 0),
        cpuUs: mean(rs.map((r) => r.cpuUs)),
      };
    };
    const rows = live.map(row);
    const peers = rows.filter((r) => PEERS.includes(r.t.name));
    const best = peers.reduce((b, r) => (r.rps > b.rps ? r : b), peers[0]);
    // Latency against the lowest of the peers, whichever that is.
    const low = { p50: Math.min(...peers.map((r) => r.p50)), p99: Math.min(...peers.map((r) => r.p99)) };
    lines.push(`-- ${load.label} (best peer by req/s: ${best.t.name}; latency deltas against the lowest peer)`);
    for (const r of rows) {
      lines.push(
        `${r.t.name.padEnd(26)} ${r.rps.toFixed(0).padStart(7)} req/s ${(r.rps / best.rps).toFixed(2)}×  ` +
          `p50 ${r.p50.toFixed(2)} ms (${(r.p50 - low.p50 >= 0 ? "+" : "") + (r.p50 - low.p50).toFixed(2)})  ` +
          `p99 ${r.p99.toFixed(2)} ms (${(r.p99 - low.p99 >= 0 ? "+" : "") + (r.p99 - low.p99).toFixed(2)})  CPU ${r.cpuUs.toFixed(0)} µs/request  failed ${r.failed}`,
      );
    }
  }
  for (const t of targets.filter((x) => x.missing)) lines.push(`${t.name}: ${t.missing}`);
  // The engine's dyno manager (started by any stack or test on it) follows every router's request
  // ring through `docker exec` for metrics: a cost only the Dynoform router pays (bench/metrics).
  const manager = await docker
    .getContainer("dynoform-dyno-manager")
    .inspect()
    .catch(() => undefined);
  const metricsOff = manager?.Config.Env?.includes("DYNOFORM_METRICS=off");
  lines.push(
    `dyno manager at the end of the run: ${manager?.State.Running ? (metricsOff ? "running, metrics off" : "running, following the router's requests") : "not running (no request follow)"}`,
  );
  lines.push("");
  console.log(lines.join("\n"));
});
