import * as http from "node:http";

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * GET through the router at 127.0.0.1, with the app's URL host as the Host header: `*.localhost`
 * names need no DNS this way.
 */
export function get(
  url: string,
  opts: {
    headers?: Record<string, string>;
    timeoutMs?: number /** Another router address than 127.0.0.1 (a cluster node). */;
    host?: string;
  } = {},
): Promise<HttpResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: opts.host ?? "127.0.0.1",
        port: Number(u.port || 80),
        path: u.pathname + u.search,
        method: "GET",
        headers: { Host: u.host, ...opts.headers },
        timeout: opts.timeoutMs ?? 40_000,
      },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

/** Retries until `accept` holds or time runs out; returns the last response. */
export async function getUntil(url: string, accept: (r: HttpResponse) => boolean, timeoutMs = 20_000): Promise<HttpResponse> {
  const deadline = Date.now() + timeoutMs;
  let last: HttpResponse | Error = new Error("no request made");
  while (Date.now() < deadline) {
    try {
      last = await get(url);
      if (accept(last)) return last;
    } catch (e) {
      last = e as Error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (last instanceof Error) throw last;
  return last;
}

/** A steady request loop: `concurrency` clients, each sending its next request when the last ends. */
export function steadyLoad(
  url: string,
  concurrency = 4,
): { stop: () => Promise<{ ok: number; failed: number; bodies: Map<string, number>; failures: string[] }> } {
  let running = true;
  const result = { ok: 0, failed: 0, bodies: new Map<string, number>(), failures: [] as string[] };
  const client = async () => {
    while (running) {
      try {
        const r = await get(url, { timeoutMs: 10_000 });
        if (r.status === 200) {
          result.ok++;
          result.bodies.set(r.body, (result.bodies.get(r.body) ?? 0) + 1);
        } else {
          result.failed++;
          result.failures.push(`${r.status} ${r.body.slice(0, 80)}`);
        }
      } catch (e) {
        result.failed++;
        result.failures.push((e as Error).message);
      }
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  return {
    stop: async () => {
      running = false;
      await Promise.all(clients);
      return result;
    },
  };
}
