import { spawn } from "node:child_process";

/** What one wrk run reports. */
export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx/3xx responses plus socket errors (connect, read, write, timeout). */
  failed: number;
  /** The 95th percentile, when the run used {@link P95_SCRIPT} (wrk's own report stops at 90 and 99). */
  p95Ms?: number;
}

/** A wrk script that prints the 95th percentile (in µs) after the run: `p95 <n>`. */
export const P95_SCRIPT = 'done = function(summary, latency, requests) io.write(string.format("p95 %d\\n", latency:percentile(95))) end\n';

function ms(value: string, unit: string): number {
  const n = Number(value);
  return unit === "us" ? n / 1000 : unit === "s" ? n * 1000 : unit === "m" ? n * 60_000 : n;
}

/** Parses wrk's `--latency` report. */
export function parseWrk(out: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p = (q: string) => {
    const m = new RegExp(`\\s${q}%\\s+([\\d.]+)(us|ms|s|m)`).exec(out);
    return m ? ms(m[1], m[2]) : NaN;
  };
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? sock.slice(1).reduce((n, x) => n + Number(x), 0) : 0;
  const p95 = /^p95 (\d+)$/m.exec(out);
  return {
    requestsPerSecond: rps,
    p50Ms: p("50"),
    p99Ms: p("99"),
    requests,
    failed: non2xx + socketErrors,
    ...(p95 ? { p95Ms: Number(p95[1]) / 1000 } : {}),
  };
}

/** Runs wrk against 127.0.0.1:`port` with a Host header. */
export function wrk(
  port: number,
  host: string,
  opts: { seconds?: number; connections?: number; threads?: number; path?: string; signal?: AbortSignal; script?: string } = {},
): Promise<WrkResult & { raw: string }> {
  const args = [
    "-t",
    String(opts.threads ?? 1),
    "-c",
    String(opts.connections ?? 16),
    "-d",
    `${opts.seconds ?? 10}s`,
    "--latency",
    ...(opts.script ? ["-s", opts.script] : []),
    "-H",
    `Host: ${host}`,
    `http://127.0.0.1:${port}${opts.path ?? "/"}`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", args);
    // wrk stops early on SIGINT and still prints its report.
    opts.signal?.addEventListener("abort", () => child.kill("SIGINT"));
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 || opts.signal?.aborted ? resolve({ ...parseWrk(out), raw: out }) : reject(new Error(`wrk exited ${code}: ${out}`)),
    );
  });
}

/** One load for {@link wrkLoad}: HTTP keep-alive, a new connection per request, or HTTPS keep-alive. */
export type LoadKind = "keep-alive" | "close" | "https";

/** What {@link wrkLoad} merged from its wrk processes. */
export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  failed: number;
}

/**
 * A wrk script that connects to 127.0.0.1 whatever the URL's host (so the URL's host is the TLS
 * SNI without a resolver entry), rotates the Host header over `hosts` per request, and prints the
 * latency quantiles at every 0.1% so runs of several processes can be merged.
 */
export function wrkScript(hosts: string[]): string {
  return `wrk.resolve = function(host, service) wrk.addrs = wrk.lookup("127.0.0.1", service) end
local hosts = { ${hosts.map((h) => JSON.stringify(h)).join(", ")} }
local i = 0
request = function()
  i = i % #hosts + 1
  wrk.headers["Host"] = hosts[i]
  return wrk.format()
end
done = function(summary, latency, requests)
  local q = {}
  for p = 1, 999 do q[#q + 1] = string.format("%d", latency:percentile(p / 10)) end
  io.write("QUANTILES " .. table.concat(q, ",") .. "\\n")
end
`;
}

/** Merges the 0.1%…99.9% quantiles (µs) of several runs, each weighted by its request count. */
export function mergeQuantiles(runs: Array<{ requests: number; quantilesUs: number[] }>, q: number): number {
  const pool: Array<[number, number]> = [];
  for (const r of runs) for (const v of r.quantilesUs) pool.push([v, r.requests / r.quantilesUs.length]);
  pool.sort((a, b) => a[0] - b[0]);
  const total = pool.reduce((n, [, w]) => n + w, 0);
  let seen = 0;
  for (const [v, w] of pool) {
    seen += w;
    if (seen >= total * q) return v / 1000;
  }
  return (pool.at(-1)?.[0] ?? NaN) / 1000;
}

/**
 * Runs `processes` wrk processes at once against 127.0.0.1:`port`, `connectionsEach` connections
 * each, `seconds` long; process i uses `sniHosts[i]` as its URL host (the TLS SNI). Every request
 * rotates its Host over `hosts` (plain HTTP) or keeps its process's SNI host (HTTPS).
 */
export async function wrkLoad(opts: {
  port: number;
  kind: LoadKind;
  hosts: string[];
  sniHosts: string[];
  connectionsEach: number;
  seconds: number;
  scriptDir: string;
}): Promise<LoadResult> {
  const { writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const runs = opts.sniHosts.map((sni, i) => {
    const script = join(opts.scriptDir, `load-${opts.port}-${i}.lua`);
    writeFileSync(script, wrkScript(opts.kind === "https" ? [sni] : opts.hosts));
    const scheme = opts.kind === "https" ? "https" : "http";
    const args = ["-t", "1", "-c", String(opts.connectionsEach), "-d", `${opts.seconds}s`, "-s", script];
    if (opts.kind === "close") args.push("-H", "Connection: close");
    args.push(`${scheme}://${sni}:${opts.port}/`);
    return new Promise<{ out: string }>((resolve, reject) => {
      const child = spawn("wrk", args);
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve({ out }) : reject(new Error(`wrk exited ${code}: ${out}`))));
    });
  });
  const outs = await Promise.all(runs);
  const parsed = outs.map(({ out }) => {
    const base = parseWrk(out);
    const q = /QUANTILES ([\d,]+)/.exec(out)?.[1];
    return { ...base, quantilesUs: q ? q.split(",").map(Number) : [] };
  });
  return {
    requestsPerSecond: parsed.reduce((n, r) => n + r.requestsPerSecond, 0),
    p50Ms: mergeQuantiles(parsed, 0.5),
    p99Ms: mergeQuantiles(parsed, 0.99),
    requests: parsed.reduce((n, r) => n + r.requests, 0),
    failed: parsed.reduce((n, r) => n + r.failed, 0),
  };
}
