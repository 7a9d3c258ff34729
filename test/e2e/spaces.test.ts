import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRun } from "../../cli/run";
import { execIn } from "../../provider/docker/docker-exec";
import { provider as spaceProvider } from "../../provider/spaces/space-provider";
import { docker, objectsLabelled } from "../support/docker";
import { httpProbeScript } from "../support/dyno-probe";
import { get, getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";
import { routerLog } from "../support/router-app";

/** From inside a dyno: does `host:port` answer an HTTP GET? ("ok", or why not). */
async function probe(fromApp: string, host: string, port = 5000): Promise<string> {
  return (await execIn(docker.getContainer(`${fromApp}.web.1`), ["node", "-e", httpProbeScript(host, port)])).output.trim();
}

async function ipsOf(container: string): Promise<string[]> {
  const info = await docker.getContainer(container).inspect();
  return Object.values(info.NetworkSettings.Networks)
    .map((n) => n.IPAddress)
    .filter(Boolean);
}

/** This machine's own address on its main interface: "outside", like the internet. */
function hostAddress(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? [])
      if (a.family === "IPv4" && !a.internal && !/^(10\.2\d\d|172\.(1[7-9]|2\d|3[01]))\./.test(a.address)) return a.address;
  }
  throw new Error("no non-Docker IPv4 address on this machine");
}

// Private and Shield spaces through the real Pulumi CLI: every cell of the isolation matrix is an
// actual connection attempt from inside a dyno.
describe("spaces isolate their apps", () => {
  const id = uniqueSuffix();
  const [a, b, s, c] = ["a", "b", "s", "c"].map((n) => `${n}-${id}`);
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/spaces"), `e2e-spaces-${id}`);
  const outside = net.createServer((sock) => sock.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"));
  let outsidePort = 0;
  let urls: Record<string, string> = {};

  beforeAll(async () => {
    await new Promise<void>((r) => outside.listen(0, "0.0.0.0", r));
    outsidePort = (outside.address() as net.AddressInfo).port;
    await stack.init({ id, privateHttpPort: "8411", privateHttpsPort: "8461", shieldHttpPort: "8412", shieldHttpsPort: "8462" });
    await stack.up();
    urls = (await stack.outputs()) as Record<string, string>;
  }, 600_000);
  afterAll(async () => {
    outside.close();
    await stack.cleanup();
  });

  it("serves each space's apps on the space's own router", async () => {
    expect(urls.a).toBe(`http://${a}.dynoform.localhost:8411/`);
    expect((await getUntil(urls.a, (r) => r.status === 200)).body).toBe("Hello from a from web.1\n");
    expect((await getUntil(urls.s, (r) => r.status === 200)).body).toBe("Hello from s from web.1\n");
    expect((await getUntil(urls.c, (r) => r.status === 200)).body).toBe("Hello from c from web.1\n");
    // The Common Runtime router does not know space apps.
    expect((await get(`http://${a}.dynoform.localhost:8080/`).catch(() => ({ status: 0 }))).status).not.toBe(200);
  });

  it("lets dynos of one space reach each other by Heroku's DNS names", async () => {
    expect(await probe(a, `1.web.${b}.app.localspace`)).toBe("ok 200");
    expect(await probe(b, `web.${a}.app.localspace`)).toBe("ok 200");
    const env = (
      await execIn(docker.getContainer(`${a}.web.1`), [
        "sh",
        "-c",
        "echo $HEROKU_DNS_DYNO_NAME $HEROKU_DNS_FORMATION_NAME $HEROKU_DNS_APP_NAME",
      ])
    ).output.trim();
    expect(env).toBe(`1.web.${a}.app.localspace web.${a}.app.localspace ${a}.app.localspace`);
  });

  it("keeps other spaces and the Common Runtime out, in both directions", async () => {
    expect(await probe(s, `1.web.${a}.app.localspace`)).not.toMatch(/^ok/);
    for (const ip of await ipsOf(`${a}.web.1`)) {
      expect(await probe(s, ip), `shield → private ${ip}`).not.toMatch(/^ok/);
      expect(await probe(c, ip), `common → private ${ip}`).not.toMatch(/^ok/);
    }
    for (const ip of await ipsOf(`${s}.web.1`)) expect(await probe(a, ip), `private → shield ${ip}`).not.toMatch(/^ok/);
    for (const ip of await ipsOf(`${c}.web.1`)) expect(await probe(a, ip), `private → common ${ip}`).not.toMatch(/^ok/);
  });

  it("gives private dynos the outside world and Shield dynos none", async () => {
    const host = hostAddress();
    expect(await probe(a, host, outsidePort)).toBe("ok 200");
    expect(await probe(s, host, outsidePort)).not.toMatch(/^ok/);
  });

  it("runs one-off dynos of a private space on the space's network", async () => {
    let out = "";
    const script = `require("http").get("http://1.web.${b}.app.localspace:5000/", (r) => console.log("ok " + r.statusCode)).on("error", (e) => console.log(e.code))`;
    const code = await runRun(["--app", a, "node", "-e", script], { stdout: (t) => (out += t), stderr: (t) => (out += t) });
    expect(code).toBe(0);
    expect(out.trim()).toBe("ok 200");
  });

  it("refuses one-off dynos in a Shield space", async () => {
    let err = "";
    const code = await runRun(["--app", s, "true"], { stdout: () => undefined, stderr: (t) => (err += t) });
    expect(code).toBe(1);
    expect(err).toContain("Shield Space");
  });

  it("keeps query strings out of a Shield router's log", async () => {
    const id2 = `shield-log-${uniqueSuffix()}-${uniqueSuffix()}`;
    await get(`${urls.s}?token=s3cr3t-token`, { headers: { "X-Request-Id": id2 } });
    const deadline = Date.now() + 10_000;
    let line: string | undefined;
    while (!line && Date.now() < deadline) line = (await routerLog(`dynoform-space-s-${id}-router`)).find((l) => l.includes(id2));
    expect(line).toMatch(/ path="\/" /);
    expect(line).not.toContain("s3cr3t-token");
  });

  it("refuses requests from outside the trusted ranges, and admits this machine when 127.0.0.1/32 is trusted", async () => {
    await stack.setConfig("trustedIpRanges", "203.0.113.0/24");
    await stack.up();
    const refused = await get(urls.a, { timeoutMs: 5000 }).then(
      (r) => `status ${r.status}`,
      (e: Error) => e.message,
    );
    expect(refused).not.toMatch(/^status 200/);
    await stack.setConfig("trustedIpRanges", "127.0.0.1/32");
    await stack.up();
    expect((await getUntil(urls.a, (r) => r.status === 200)).status).toBe(200);
  });

  it("refuses to destroy a space that still has apps, removing nothing", async () => {
    const state = JSON.parse((await stack.run(["stack", "export"])).stdout).deployment.resources.find(
      (r: { type: string; outputs: { name: string } }) => r.type.endsWith(":Space") && r.outputs.name === `p-${id}`,
    );
    await expect(spaceProvider.delete(state.id, state.outputs)).rejects.toThrow(
      new RegExp(`Space "p-${id}" still has apps running in it: ${a}, ${b}\\. Nothing was removed\\. Fix: `),
    );
    expect((await docker.getNetwork(`dynoform-space-p-${id}`).inspect()).Name).toBe(`dynoform-space-p-${id}`);
    expect((await getUntil(urls.a, (r) => r.status === 200)).status).toBe(200);
  });

  it("destroy leaves nothing behind", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    for (const label of [
      { "dynoform.space": `p-${id}` },
      { "dynoform.space": `s-${id}` },
      ...[a, b, s, c].map((x) => ({ "dynoform.app": x })),
    ]) {
      expect(await objectsLabelled(label)).toEqual({ containers: [], networks: [], images: [] });
    }
  });
});
