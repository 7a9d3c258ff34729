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
