import * as https from "node:https";
import * as tls from "node:tls";
import type { HttpResponse } from "./http";

/** Connects to the router's HTTPS port with SNI `servername`; returns the served leaf and whether it chains to `ca`. */
export function handshake(
  port: number,
  servername: string,
  ca: string,
  host = "127.0.0.1",
): Promise<{ authorized: boolean; error?: string; fingerprint: string; names: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host, port, servername, ca, rejectUnauthorized: false, ALPNProtocols: ["http/1.1"] }, () => {
      const cert = s.getPeerCertificate();
      resolve({
        authorized: s.authorized,
        error: s.authorizationError?.toString(),
        fingerprint: cert.fingerprint256,
        names: cert.subjectaltname ?? "",
      });
      s.end();
    });
    s.setTimeout(5000, () => s.destroy(new Error(`TLS handshake with ${servername} timed out`)));
    s.on("error", reject);
  });
}

/** An HTTPS GET through the router with SNI and Host `hostname`, trusting `ca`. */
export function httpsGet(
  port: number,
  hostname: string,
  path: string,
  ca: string,
  headers: Record<string, string> = {},
  host = "127.0.0.1",
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host, port, path, servername: hostname, headers: { Host: `${hostname}:${port}`, ...headers }, ca, timeout: 10_000 },
      (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}
