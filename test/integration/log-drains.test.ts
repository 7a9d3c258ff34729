import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execIn } from "../../provider/docker/docker-exec";
import { buildImage, imageExists } from "../../provider/docker/image-build";
import { provider } from "../../provider/drains/log-drain-provider";
import { DRAINS_DIR } from "../../provider/dyno-manager/drain-store";
import { containerName } from "../../provider/formations/dyno-driver";
import { DYNO_MANAGER, LOG_DRAIN_FORWARDER, removeDynoManagerIfIdle } from "../../provider/formations/dyno-manager-controller";
import { ENV } from "../../sdk/settings";
import type { LogDrainInputs } from "../../sdk/log-drain";
import { makeCa, makeCert } from "../support/certs";
import { docker, waitFor } from "../support/docker";
import { get, getUntil } from "../support/http";
import { uniqueSuffix } from "../support/pulumi";
import { RouterTestApp } from "../support/router-app";

const REPO = path.resolve(__dirname, "../..");
const RSYSLOG_DIR = path.join(REPO, "test/fixtures/rsyslog");
/** Tagged by the fixture's content, as scripts/setup.sh builds it (`cat rsyslog/* | sha256sum`). */
const RSYSLOG_IMAGE = `dynoform-test/rsyslog:${crypto
  .createHash("sha256")
  .update(
    Buffer.concat(
      fs
        .readdirSync(RSYSLOG_DIR)
        .sort()
        .map((f) => fs.readFileSync(path.join(RSYSLOG_DIR, f))),
    ),
  )
  .digest("hex")
  .slice(0, 12)}`;
const BUFFER_LINES = 100;

/** Docker's default bridge: where the forwarder's container reaches the host and the receivers. */
async function bridgeGateway(): Promise<string> {
  const bridge = await docker.getNetwork("bridge").inspect();
  const ipam: { Gateway?: string; Subnet?: string } = bridge.IPAM?.Config?.[0] ?? {};
  if (ipam.Gateway) return ipam.Gateway;
  const m = /^(\d+\.\d+\.\d+\.)(\d+)\/\d+$/.exec(ipam.Subnet ?? "");
  if (!m) throw new Error("Docker's default bridge has no gateway address");
  return `${m[1]}${Number(m[2]) + 1}`;
}

/** A Logplex HTTPS receiver on the host: records each POST; can go down and come back on the same port. */
class HttpsReceiver {
  readonly posts: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
  private server?: https.Server;
  port = 0;

  constructor(
    private readonly host: string,
    private readonly tlsFiles: { cert: string; key: string },
  ) {}

  async up(): Promise<void> {
    const server = https.createServer(this.tlsFiles, (req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        this.posts.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, this.host, resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  get text(): string {
    return this.posts.map((p) => p.body).join("\n");
  }
}

/** The frames of an octet-counted body. */
function frames(body: string): string[] {
  let rest = Buffer.from(body);
  const out: string[] = [];
  while (rest.length > 0) {
    while (rest[0] === 10) rest = rest.subarray(1);
    const sp = rest.indexOf(32);
    if (sp < 0) break;
    const n = Number(rest.subarray(0, sp).toString());
    out.push(rest.subarray(sp + 1, sp + 1 + n).toString());
    rest = rest.subarray(sp + 1 + n);
  }
  return out;
}

// Log drains on a real engine: real router and dynos, the real dyno manager gathering lines and
// the real drain forwarder sending them to Debian's rsyslog (TCP and TLS) and an HTTPS receiver.
describe("log drains deliver app, router and system lines to syslog (TCP, TLS) and HTTPS receivers", () => {
  const router = { name: `r-drains-${uniqueSuffix()}`, httpPort: 8241 };
  const t = new RouterTestApp("drains", router);
  const savedBuffer = process.env[ENV.drainBufferLines];
  const rsyslogName = `dynoform-test-rsyslog-${uniqueSuffix()}`;
  const certDir = fs.mkdtempSync(path.join(os.tmpdir(), "drain-certs-"));
  const tokens: Record<"tcp" | "tls" | "https" | "untrusted", string> = { tcp: "", tls: "", https: "", untrusted: "" };
  let receiver: HttpsReceiver;

  const drain = async (url: string, trustedCa = "") => {
    const inputs: LogDrainInputs = { resource: "test", app: t.app, space: "", spaceShield: false, url, trustedCa };
    const checked = await provider.check(inputs, inputs);
    expect(checked.failures).toEqual([]);
    return (await provider.create(inputs)).id;
  };
  const syslogFile = async (port: 514 | 6514) =>
    (await execIn(docker.getContainer(rsyslogName), ["sh", "-c", `cat /var/log/drain/${port}.log 2>/dev/null || true`])).output;
  const forwarderLog = async () => {
    const raw = (await docker.getContainer(LOG_DRAIN_FORWARDER).logs({ stdout: true, stderr: true })) as unknown as Buffer;
    return raw.toString("latin1");
  };
  const requestAll = async (prefix: string, n: number) => {
    for (let i = 0; i < n; i++) await get(`${t.url}${prefix}-${i}`);
  };

  beforeAll(async () => {
    process.env[ENV.drainBufferLines] = String(BUFFER_LINES);
    if (!(await imageExists(RSYSLOG_IMAGE))) await buildImage(RSYSLOG_DIR, RSYSLOG_IMAGE, { "dynoform.test": "rsyslog" });
    const ca = await makeCa("Dynoform Drain Test CA");
    const gateway = await bridgeGateway();
    fs.writeFileSync(path.join(certDir, "ca.pem"), ca.certPem, { mode: 0o644 });
    const rsyslog = await docker.createContainer({
      name: rsyslogName,
      Image: RSYSLOG_IMAGE,
      Labels: { "dynoform.test": "log-drains" },
      // rsyslog waits for its certificate, which names the address the container gets when it starts.
      Cmd: [
        "sh",
        "-c",
        "while [ ! -f /certs/server-key.pem ]; do sleep 0.1; done; exec rsyslogd -n -f /etc/rsyslog-drain.conf -i /run/rsyslogd.pid",
      ],
      HostConfig: { Binds: [`${certDir}:/certs:ro`], NetworkMode: "bridge" },
    });
    await rsyslog.start();
    const rsyslogIp = (await rsyslog.inspect()).NetworkSettings.Networks.bridge.IPAddress;
    const serverCert = await makeCert(ca, [rsyslogIp]);
    fs.chmodSync(certDir, 0o755);
    fs.writeFileSync(path.join(certDir, "server.pem"), serverCert.certPem, { mode: 0o644 });
    fs.writeFileSync(path.join(certDir, "server-key.pem.tmp"), serverCert.keyPem, { mode: 0o644 });
    fs.renameSync(path.join(certDir, "server-key.pem.tmp"), path.join(certDir, "server-key.pem"));
    await waitFor("rsyslog to listen on 514 and 6514", async () => {
      const { output } = await execIn(rsyslog, ["sh", "-c", "cat /proc/net/tcp /proc/net/tcp6 2>/dev/null"]);
      // 0x0202 = 514, 0x1972 = 6514, state 0A = LISTEN.
      return / 0{8}:0202 .* 0A /.test(output) && /:1972 .* 0A /.test(output) ? true : undefined;
    });
    const httpsCert = await makeCert(ca, [gateway]);
    receiver = new HttpsReceiver(gateway, { cert: httpsCert.certPem, key: httpsCert.keyPem });
    await receiver.up();

    await t.setup();
    tokens.tcp = await drain(`syslog://${rsyslogIp}:514`);
    tokens.tls = await drain(`syslog+tls://${rsyslogIp}:6514`, ca.certPem);
    tokens.https = await drain(`https://drain:pw@${gateway}:${receiver.port}/logs?app=${t.app}`, ca.certPem);
    // The same TLS receiver without its CA: the system's CAs do not know it, so nothing may go there.
    tokens.untrusted = await drain(`syslog+tls://${rsyslogIp}:6514`);
    // After the drains: the dynos' first lines (`listening on`) are drained too.
    await t.scale(1);
    await getUntil(t.url, (r) => r.status === 200);
  }, 300_000);

  afterAll(async () => {
    for (const token of Object.values(tokens)) if (token) await provider.delete(token).catch(() => undefined);
    await t.cleanup();
    await removeDynoManagerIfIdle();
    await receiver?.down();
    await docker
      .getContainer(rsyslogName)
      .remove({ force: true })
      .catch(() => undefined);
    fs.rmSync(certDir, { recursive: true, force: true });
    if (savedBuffer === undefined) delete process.env[ENV.drainBufferLines];
    else process.env[ENV.drainBufferLines] = savedBuffer;
  }, 120_000);

  it("sends app[web.1], heroku[router] and heroku[web.1] lines as RFC 5424 with the drain token, over TCP, TLS and HTTPS", async () => {
    await requestAll("first", 3);
    // A crash: the manager's platform lines (heroku[web.1]) and the fresh dyno's output (app[web.1]).
    await docker.getContainer(containerName(t.app, "web", 1)).kill();
    const want = (token: string) => [
      new RegExp(`host=${token} app=app procid=web\\.1 msgid=- time=\\S+ msg= ?web\\.1 listening on 5000`),
      new RegExp(`pri=local3\\.info host=${token} app=heroku procid=router .*msg= ?at=info method=GET path="/first-2" host=${t.hostname} `),
      new RegExp(`host=${token} app=heroku procid=web\\.1 .*msg= ?State changed from up to crashed`),
      new RegExp(`host=${token} app=heroku procid=web\\.1 .*msg= ?Process exited with status 137`),
    ];
    const tcp = await waitFor(
      "the TCP drain's lines in rsyslog",
      async () => {
        const text = await syslogFile(514);
        return want(tokens.tcp).every((re) => re.test(text)) ? text : undefined;
      },
      60_000,
    );
    // imtcp parsed each octet-counted frame as one RFC 5424 message (a framing error would split or merge them).
    expect(tcp).not.toMatch(/msg=\d+ <\d+>1 /);
    await waitFor(
      "the TLS drain's lines in rsyslog",
      async () => {
        const text = await syslogFile(6514);
        return want(tokens.tls).every((re) => re.test(text)) ? text : undefined;
      },
      60_000,
    );
    const posts = await waitFor(
      "the HTTPS drain's lines",
      async () => {
        const all = receiver.posts.flatMap((p) => frames(p.body));
        return want(tokens.https).every((re) => all.some((f) => re.test(rsyslogStyle(f)))) ? receiver.posts : undefined;
      },
      60_000,
    );
    for (const p of posts) {
      expect(p.headers["content-type"]).toBe("application/logplex-1");
      expect(p.headers["logplex-drain-token"]).toBe(tokens.https);
      expect(Number(p.headers["logplex-msg-count"])).toBe(frames(p.body).length);
      expect(p.headers["logplex-frame-id"]).toBeTruthy();
      expect(p.headers.authorization).toBe(`Basic ${Buffer.from("drain:pw").toString("base64")}`);
    }
    // Verification stays on: the drain without the test CA delivered nothing and says why.
    const log = await waitFor("the untrusted drain's failure", async () => {
      const l = await forwarderLog();
      return l.includes(tokens.untrusted) && /not answering \([^)]*certificate/.test(l) ? l : undefined;
    });
    expect(log).not.toContain("pw@");
    expect(`${await syslogFile(514)}${await syslogFile(6514)}`).not.toContain(tokens.untrusted);
  }, 180_000);

  it("keeps what a receiver misses while it is down and sends it when it is back", async () => {
    await receiver.down();
    await requestAll("while-down", 10);
    await waitFor("the forwarder to find the HTTPS receiver down", async () =>
      new RegExp(`${tokens.https}\\) is not answering`).test(await forwarderLog()) ? true : undefined,
    );
    await receiver.up();
    await waitFor(
      "every line of the downtime at the HTTPS receiver",
      async () =>
        Array.from({ length: 10 }, (_, i) => `path="/while-down-${i}"`).every((p) => receiver.text.includes(p)) ? true : undefined,
      60_000,
    );
    expect(await forwarderLog()).toMatch(new RegExp(`${tokens.https}\\) is answering again`));
  }, 180_000);

  it(`drops the oldest lines beyond its buffer (${BUFFER_LINES} lines here) and says how many with Heroku's L10 line`, async () => {
    await receiver.down();
    const before = receiver.posts.length;
    await requestAll("overflow", 150);
    await waitFor(
      "the HTTPS drain's spool to overflow",
      async () => {
        const { output } = await execIn(docker.getContainer(DYNO_MANAGER), ["cat", `${DRAINS_DIR}/spool/${tokens.https}/dropped.json`]);
        return /"count":[1-9]/.test(output) ? true : undefined;
      },
      60_000,
    );
    // The last request's line is spooled too before the receiver comes back.
    await new Promise((r) => setTimeout(r, 1500));
    await receiver.up();
    const text = await waitFor(
      "the L10 line and the newest lines",
      async () => {
        const after = receiver.posts
          .slice(before)
          .map((p) => p.body)
          .join("\n");
        return after.includes('path="/overflow-149"') && after.includes("Error L10") ? after : undefined;
      },
      60_000,
    );
    const l10 = /heroku logplex - Error L10 \(output buffer overflow\): (\d+) messages dropped since \S+\./.exec(text);
    expect(l10).not.toBeNull();
    expect(Number(l10![1])).toBeGreaterThanOrEqual(150 - BUFFER_LINES);
    // The oldest went, the newest stayed.
    expect(text).not.toContain('path="/overflow-0"');
  }, 180_000);
});

/** An HTTPS frame in the rsyslog template's words, so one set of patterns checks both. */
function rsyslogStyle(frame: string): string {
  const m = /^<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/s.exec(frame);
  if (!m) return frame;
  const facility = [
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
  ][Math.floor(Number(m[1]) / 8)];
  return `pri=${facility}.info host=${m[3]} app=${m[4]} procid=${m[5]} msgid=${m[6]} time=${m[2]} msg=${m[7]}`;
}
