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
export function get(url: string, opts: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<HttpResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port: Number(u.port || 80), path: u.pathname + u.search, method: "GET", headers: { Host: u.host, ...opts.headers }, timeout: opts.timeoutMs ?? 40_000 },
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
