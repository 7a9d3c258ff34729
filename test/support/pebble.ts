import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { makeCa, makeCert } from "./certs";

/** A free TCP port on 127.0.0.1 (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/**
 * Let's Encrypt's test ACME server (Debian's `pebble`) and its DNS (`pebble-challtestsrv`), on
 * free ports. Pebble validates HTTP-01 by really fetching `http://<hostname>:<httpPort>/…`, with
 * the hostname resolved by challtestsrv: point test hostnames at the router with {@link addA}.
 */
export class Pebble {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-pebble-"));
  directoryUrl = "";
  /** PEM of the CA that signed Pebble's own HTTPS certificate (trust it for the directory). */
  serverCa = "";
  private procs: ChildProcess[] = [];
  private mgmtPort = 0;
  private dnsMgmtPort = 0;
  private output = "";

  /** `httpPort`: where Pebble fetches challenges (the router's published HTTP port). */
  constructor(
    readonly httpPort: number,
    readonly opts: { validitySeconds?: number } = {},
  ) {}

  async start(): Promise<void> {
    const [listen, mgmt, dns, dnsMgmt, tlsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    this.mgmtPort = mgmt;
    this.dnsMgmtPort = dnsMgmt;
    const ca = await makeCa("Pebble Server Test CA");
    const server = await makeCert(ca, ["localhost", "127.0.0.1"]);
    this.serverCa = ca.certPem;
    fs.writeFileSync(path.join(this.dir, "ca.pem"), ca.certPem);
    fs.writeFileSync(path.join(this.dir, "cert.pem"), server.certPem);
    fs.writeFileSync(path.join(this.dir, "key.pem"), server.keyPem, { mode: 0o600 });
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${listen}`,
        managementListenAddress: `127.0.0.1:${mgmt}`,
        certificate: path.join(this.dir, "cert.pem"),
        privateKey: path.join(this.dir, "key.pem"),
        httpPort: this.httpPort,
        tlsPort,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
        ...(this.opts.validitySeconds ? { certificateValidityPeriod: this.opts.validitySeconds } : {}),
      },
    };
    fs.writeFileSync(path.join(this.dir, "pebble.json"), JSON.stringify(config));
    this.spawn(
      "pebble-challtestsrv",
      [
        "-defaultIPv4",
        "",
        "-defaultIPv6",
        "",
        "-dns01",
        `127.0.0.1:${dns}`,
        "-http01",
        "",
        "-https01",
        "",
        "-tlsalpn01",
        "",
        "-management",
        `127.0.0.1:${dnsMgmt}`,
      ],
      {},
    );
    // No random nonce rejections or validation sleeps, and no reused authorizations: every order
    // really fetches its challenge through the router.
    this.spawn("pebble", ["-config", path.join(this.dir, "pebble.json"), "-dnsserver", `127.0.0.1:${dns}`], {
      PEBBLE_VA_NOSLEEP: "1",
      PEBBLE_WFE_NONCEREJECT: "0",
      PEBBLE_AUTHZREUSE: "0",
    });
    this.directoryUrl = `https://127.0.0.1:${listen}/dir`;
    await this.waitFor(() => this.httpsGet(this.directoryUrl), "Pebble's directory");
    await this.waitFor(() => this.dnsCall("/clear-a", { host: "ready.invalid" }), "challtestsrv's management API");
  }

  private spawn(cmd: string, args: string[], env: Record<string, string>): void {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    p.stdout!.on("data", (d) => (this.output += d));
    p.stderr!.on("data", (d) => (this.output += d));
    this.procs.push(p);
  }

  private async waitFor(fn: () => Promise<unknown>, what: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        await fn();
        return;
      } catch (e) {
        last = e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(`${what} did not answer within 15 s (${(last as Error)?.message}); output:\n${this.output}`);
  }

  httpsGet(url: string): Promise<string> {
    return new Promise((resolve, reject) => {
      https
        .get(url, { ca: this.serverCa }, (res) => {
          let b = "";
          res.on("data", (d) => (b += d));
          res.on("end", () => (res.statusCode === 200 ? resolve(b) : reject(new Error(`${url}: ${res.statusCode} ${b}`))));
        })
        .on("error", reject);
    });
  }

  private dnsCall(p: string, body: unknown): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: "127.0.0.1", port: this.dnsMgmtPort, path: p, method: "POST" }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`challtestsrv ${p}: ${res.statusCode}`))));
      });
      req.on("error", reject);
      req.end(JSON.stringify(body));
    });
  }

  /** A file with {@link serverCa}, for programs that read the ACME server's CA from a path. */
  get serverCaFile(): string {
    return path.join(this.dir, "ca.pem");
  }

  /** Answers A queries for `host` with `address` (the router's: 127.0.0.1). */
  async addA(host: string, address = "127.0.0.1"): Promise<void> {
    await this.dnsCall("/clear-a", { host });
    await this.dnsCall("/add-a", { host, addresses: [address] });
  }

  /** The root that Pebble's certificates chain to (a new one each start), from its management interface. */
  root(): Promise<string> {
    return this.httpsGet(`https://127.0.0.1:${this.mgmtPort}/roots/0`);
  }

  /** What Pebble and challtestsrv printed, for failing tests. */
  log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once("exit", () => resolve());
            p.kill("SIGTERM");
          }),
      ),
    );
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
