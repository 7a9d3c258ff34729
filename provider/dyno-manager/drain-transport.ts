/**
 * Sends a drain's lines: syslog over TCP or TLS (one connection kept per drain, octet-counted
 * frames) or HTTPS (one `application/logplex-1` POST per batch, with Logplex's headers). Node's
 * built-ins only: the forwarder's image has no node_modules.
 *
 * TLS is verified against the system's CAs, plus the drain's `trustedCa` when it has one; a
 * certificate that does not verify is a failed delivery (retried), never sent to anyway.
 */
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";
import type { DrainConfig } from "./drain-store";
import { framesOf, type DrainLine } from "./syslog-frame";

/** Where a syslog drain connects (the URL was checked by the LogDrain provider, sdk/drain-url.ts; the image cannot carry sdk/). */
interface DrainTarget {
  scheme: string;
  host: string;
  port: number;
}

const DEFAULT_PORTS: Record<string, number> = { syslog: 514, "syslog+tls": 6514, https: 443 };

function drainTarget(url: string): DrainTarget | undefined {
  try {
    const u = new URL(url);
    const scheme = u.protocol.replace(/:$/, "");
    if (!(scheme in DEFAULT_PORTS) || !u.hostname) return undefined;
    return { scheme, host: u.hostname.replace(/^\[(.*)\]$/, "$1"), port: u.port ? Number(u.port) : DEFAULT_PORTS[scheme] };
  } catch {
    return undefined;
  }
}

/** Sends one batch; rejects (with a message free of the URL's secrets) when it was not delivered. */
export interface DrainTransport {
  send(lines: DrainLine[], frameId: string): Promise<void>;
  close(): void;
}

/** How long a connection or a POST may take: a hung receiver is a failure to retry, not a stuck drain. */
const TIMEOUT_MS = 10_000;

function caOf(config: DrainConfig): string[] | undefined {
  return config.trustedCa ? [...tls.rootCertificates, config.trustedCa] : undefined;
}

/** SNI wants a name: an address is verified against the certificate's IP entries without it. */
const serverName = (host: string) => (net.isIP(host) ? undefined : host);

class SyslogTransport implements DrainTransport {
  private socket?: net.Socket;
  private connecting?: Promise<net.Socket>;

  constructor(
    private readonly config: DrainConfig,
    private readonly target: DrainTarget,
  ) {}

  private connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed && this.socket.writable) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const { host, port } = this.target;
      const socket =
        this.target.scheme === "syslog+tls"
          ? tls.connect({ host, port, servername: serverName(host), ca: caOf(this.config), rejectUnauthorized: true })
          : net.connect({ host, port });
      const ready = this.target.scheme === "syslog+tls" ? "secureConnect" : "connect";
      socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error(`no connection within ${TIMEOUT_MS / 1000} s`)));
      socket.once(ready, () => {
        socket.setTimeout(0);
        socket.setKeepAlive(true, 30_000);
        this.socket = socket;
        resolve(socket);
      });
      socket.once("error", reject);
      // A receiver that closes (stopped, restarted) ends this connection; the next send makes a new one.
      socket.on("end", () => socket.destroy());
      socket.on("close", () => {
        if (this.socket === socket) this.socket = undefined;
      });
      socket.on("error", () => undefined);
      // Syslog receivers say nothing back.
      socket.resume();
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async send(lines: DrainLine[]): Promise<void> {
    const socket = await this.connect();
    const data = framesOf(lines, this.config.token, "");
    await new Promise<void>((resolve, reject) => {
      const fail = (e: Error) => reject(e);
      socket.once("error", fail);
      socket.once("close", () => reject(new Error("the receiver closed the connection")));
      socket.write(data, (e) => {
        socket.off("error", fail);
        if (e) reject(e);
        else resolve();
      });
    });
  }

  close(): void {
    this.socket?.destroy();
  }
}

class HttpsTransport implements DrainTransport {
  constructor(private readonly config: DrainConfig) {}

  send(lines: DrainLine[], frameId: string): Promise<void> {
    const body = framesOf(lines, this.config.token, "\n");
    return new Promise<void>((resolve, reject) => {
      const url = new URL(this.config.url);
      const auth = url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
      url.username = "";
      url.password = "";
      const req = https.request(
        url,
        {
          method: "POST",
          auth,
          ca: caOf(this.config),
          rejectUnauthorized: true,
          timeout: TIMEOUT_MS,
          headers: {
            "content-type": "application/logplex-1",
            "content-length": Buffer.byteLength(body),
            "logplex-msg-count": String(lines.length),
            "logplex-frame-id": frameId,
            "logplex-drain-token": this.config.token,
            "user-agent": "Logplex/dynoform",
          },
        },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          res.on("end", () => (status >= 200 && status < 300 ? resolve() : reject(new Error(`HTTP ${status}`))));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  close(): void {}
}

export function transportFor(config: DrainConfig): DrainTransport {
  const target = drainTarget(config.url);
  if (!target) throw new Error(`drain ${config.token}: its URL is not one Dynoform sends to (rule log-drain-scheme)`);
  return target.scheme === "https" ? new HttpsTransport(config) : new SyslogTransport(config, target);
}
