import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { get } from "../support/http";
import { Pebble } from "../support/pebble";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";
import { clusterStackConfig, dockerAt, until } from "../support/test-cluster";
import { handshake, httpsGet } from "../support/tls";

const cluster = inject("cluster");
const manager = dockerAt(cluster.managerUrl);

/** Sets or clears the edge label of a node (by hostname). */
async function setEdge(node: string, on: boolean): Promise<void> {
  const n = (await manager.listNodes()).find((x) => x.Description?.Hostname === node)!;
  const labels = { ...(n.Spec?.Labels ?? {}) };
  if (on) labels["dynoform.edge"] = "true";
  else delete labels["dynoform.edge"];
  await manager.getNode(n.ID).update({ version: n.Version!.Index, ...n.Spec, Labels: labels });
}

const nodeIp = (node: string) => new URL(cluster.nodeUrls[node].replace(/^tcp:/, "http:")).hostname;

// examples/tls on the test Swarm with two edge nodes: Pebble (the real ACME server, on this
// machine) resolves the hostname to the second edge node only, whose router replica forwards the
// challenge to the router's responder, wherever Swarm runs it.
describe("custom domains and certificates on a Swarm", () => {
  const appName = `tls-${uniqueSuffix()}`;
  const hostname = `www.${appName}.dynoform.test`;
  const httpsPort = 18443;
  const secondEdge = Object.keys(cluster.nodeUrls).find((n) => n !== cluster.edgeNode && !n.endsWith("n1"))!;
  const edges = [cluster.edgeNode, secondEdge].map(nodeIp);
  const pebble = new Pebble(cluster.routerHttpPort);
  const stack = new PulumiStack(path.join(REPO, "examples/tls"), `cluster-${appName}`);
  Object.assign(stack.env, { DYNOFORM_ROUTER_HTTP_PORT: String(cluster.routerHttpPort), DYNOFORM_ROUTER_HTTPS_PORT: String(httpsPort) });
  let root = "";

  beforeAll(async () => {
    await setEdge(secondEdge, true);
    await pebble.start();
    root = await pebble.root();
    await pebble.addA(hostname, nodeIp(secondEdge));
    await stack.init({
      appName,
      hostname,
      acmeDirectory: pebble.directoryUrl,
      acmeCaFile: pebble.serverCaFile,
      email: "ops@example.com",
      ...clusterStackConfig(cluster),
    });
  });
  afterAll(async () => {
    await stack.cleanup();
    await pebble.stop();
    await setEdge(secondEdge, false);
  });

  it("up issues the ACME certificate once, and router replicas on two nodes serve it by SNI", async () => {
    // Where the responder ran while the challenge was open (it is removed after the order).
    const nodes = new Map((await manager.listNodes()).map((n) => [n.ID, n.Description?.Hostname ?? ""]));
    const responderNodes = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const tasks = await manager.listTasks({ filters: { service: ["dynoform-router-acme"] } }).catch(() => []);
        for (const t of tasks) if (t.Status?.State === "running") responderNodes.add(nodes.get(t.NodeID ?? "") ?? "");
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const t = Date.now();
    const r = await stack.up().finally(() => (watching = false));
    await watch;
    console.log(
      `cluster TLS up: ${((Date.now() - t) / 1000).toFixed(1)} s; challenge sent by Pebble to ${secondEdge}, answered by the responder on ${[...responderNodes].join(", ")}`,
    );
    expect(r.output).not.toContain("PRIVATE KEY");
    const out = await stack.outputs();
    expect(out.certificateStatus).toBe("issued");
    expect(String(out.certificateIssuer)).toMatch(/Pebble/);
    expect(responderNodes.size).toBeGreaterThan(0);
    const routers = await manager.listTasks({ filters: { service: ["dynoform-router"], "desired-state": ["running"] } });
    expect(new Set(routers.map((x) => nodes.get(x.NodeID ?? ""))).size).toBe(2);
    for (const ip of edges) {
      expect(await handshake(httpsPort, hostname, root, ip)).toMatchObject({ authorized: true, fingerprint: out.certificateFingerprint });
      expect(await httpsGet(httpsPort, hostname, "/", root, {}, ip)).toMatchObject({ status: 200, body: "Hello from web.1\n" });
    }
    // The private key is a Swarm secret, never a config (configs are readable through the API).
    const configs = await manager.listConfigs({ filters: { label: ["dynoform.tls-router=dynoform-router"] } });
    const data = configs.map((c) => Buffer.from((c.Spec as { Data?: string })?.Data ?? "", "base64").toString());
    expect(data.some((d) => d.includes("BEGIN CERTIFICATE"))).toBe(true);
    expect(data.some((d) => d.includes("PRIVATE KEY"))).toBe(false);
    expect((await manager.listSecrets({ filters: { label: ["dynoform.tls-router=dynoform-router"] } })).length).toBe(2);
  });

  it("redirects plain HTTP on the custom domain to HTTPS on every edge node", async () => {
    for (const ip of edges) {
      const r = await get(`http://${hostname}:${cluster.routerHttpPort}/x?y=1`, { host: ip });
      expect(r.status).toBe(301);
      expect(r.headers.location).toBe(`https://${hostname}:${httpsPort}/x?y=1`);
    }
  });

  it("maintenance mode answers 503 H80 on every replica, and off serves the dynos again", async () => {
    await stack.setConfig("maintenance", "true");
    await stack.up();
    for (const ip of edges) {
      const r = await httpsGet(httpsPort, hostname, "/", root, {}, ip);
      expect(r.status).toBe(503);
      expect(r.body).toMatch(/maintenance/i);
    }
    await stack.setConfig("maintenance", "false");
    await stack.up();
    for (const ip of edges) expect((await httpsGet(httpsPort, hostname, "/", root, {}, ip)).status).toBe(200);
  });

  it("preview after up shows no changes", async () => {
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
  });

  it("destroy leaves no config, secret, service or network of the router on the manager", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    const filters = { label: ["dynoform.managed=true"] };
    await until("no Dynoform service", async () => (await manager.listServices({ filters })).length === 0, 60_000, 500);
    expect(await manager.listConfigs({ filters })).toEqual([]);
    expect(await manager.listSecrets({ filters })).toEqual([]);
    await until("no Dynoform network", async () => (await manager.listNetworks({ filters })).length === 0, 60_000, 500);
  });
});
