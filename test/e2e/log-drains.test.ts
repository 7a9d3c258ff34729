import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execIn } from "../../provider/docker/docker-exec";
import { DRAINS_DIR } from "../../provider/dyno-manager/drain-store";
import { DYNO_MANAGER } from "../../provider/formations/dyno-manager-controller";
import { makeCa, makeCert } from "../support/certs";
import { docker, waitFor } from "../support/docker";
import { getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

/** Docker's default bridge gateway: where the drain forwarder's container reaches this host. */
async function bridgeGateway(): Promise<string> {
  const ipam: { Gateway?: string; Subnet?: string } = (await docker.getNetwork("bridge").inspect()).IPAM?.Config?.[0] ?? {};
  const m = /^(\d+\.\d+\.\d+\.)(\d+)\/\d+$/.exec(ipam.Subnet ?? "");
  const gateway = ipam.Gateway ?? (m ? `${m[1]}${Number(m[2]) + 1}` : undefined);
  if (!gateway) throw new Error("Docker's default bridge has no gateway address");
  return gateway;
}

/** The drain's config file in the manager's volume, or undefined when it (or the manager) is gone. */
async function drainConfig(token: string): Promise<string | undefined> {
  const run = await execIn(docker.getContainer(DYNO_MANAGER), ["cat", `${DRAINS_DIR}/drains/${token}.json`]).catch(() => undefined);
  return run?.exitCode === 0 ? run.output : undefined;
}

// A LogDrain through the real Pulumi CLI: up delivers the app's lines, preview sees nothing to do,
// a bad URL is refused at preview with nothing changed, destroy takes the drain away.
describe("a LogDrain in a program", () => {
  const appName = `drain-${uniqueSuffix()}`;
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/log-drains"), `e2e-${appName}`);
  const bodies: string[] = [];
  let server: https.Server;
  let drainUrl = "";

  beforeAll(async () => {
    const ca = await makeCa("Dynoform E2E Drain CA");
    const gateway = await bridgeGateway();
    const cert = await makeCert(ca, [gateway]);
    server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        bodies.push(body);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, gateway, r));
    drainUrl = `https://archive:s3cret-pw@${gateway}:${(server.address() as AddressInfo).port}/logs`;
    await stack.init({ appName });
    await stack.run(["config", "set", "--secret", "drainUrl", drainUrl]);
    // Base64: a PEM starts with dashes, which the CLI would read as a flag.
    await stack.setConfig("drainCaBase64", Buffer.from(ca.certPem).toString("base64"));
  }, 120_000);

  afterAll(async () => {
    await stack.cleanup();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  }, 300_000);

  it("up: the app's release, router and dyno lines reach the drain; the URL stays a secret in the state", async () => {
    await stack.up();
    const { url, drainToken } = await stack.outputs();
    expect(String(drainToken)).toMatch(/^d\.[0-9a-f-]{36}$/);
    await getUntil(String(url), (r) => r.status === 200);
    await waitFor(
      "the app's router line at the drain",
      async () => (bodies.join("\n").includes(`heroku router - at=info method=GET path="/"`) ? true : undefined),
      60_000,
    );
    const state = (await stack.run(["stack", "export"])).stdout;
    expect(state).not.toContain("s3cret-pw");
    expect(await drainConfig(String(drainToken))).toContain(String(drainToken));
  }, 300_000);

  it("preview after up: no changes", async () => {
    const preview = await stack.preview(["--expect-no-changes"], { allowFailure: true });
    expect(preview.code, preview.output).toBe(0);
  }, 120_000);

  it("refuses a URL of an unsupported scheme at preview, naming the rule and the fix, and changes nothing", async () => {
    const { drainToken } = await stack.outputs();
    await stack.run(["config", "set", "--secret", "drainUrl", "http://archive:s3cret-pw@logs.example.com/logs"]);
    const preview = await stack.preview([], { allowFailure: true });
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/LogDrain "archive": url scheme "http:" is not supported \(rule log-drain-scheme\)/);
    expect(preview.output).toMatch(/Fix: use one of these schemes/);
    expect(preview.output).not.toContain("s3cret-pw");
    expect(await drainConfig(String(drainToken))).toContain(String(drainToken));
    await stack.run(["config", "set", "--secret", "drainUrl", drainUrl]);
  }, 120_000);

  it("destroy removes the drain", async () => {
    const { drainToken } = await stack.outputs();
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    expect(await drainConfig(String(drainToken))).toBeUndefined();
  }, 300_000);
});
