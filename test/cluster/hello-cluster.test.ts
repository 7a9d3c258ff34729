import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runLogs } from "../../cli/logs";
import { runPs } from "../../cli/ps";
import { get, getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";
import { clusterStackConfig, dockerAt, until } from "../support/test-cluster";

const cluster = inject("cluster");
const manager = dockerAt(cluster.managerUrl);

/** Which node (hostname) runs each running task of a service. */
async function placement(service: string): Promise<Array<{ dyno: string; node: string }>> {
  const nodes = new Map((await manager.listNodes()).map((n) => [n.ID, n.Description?.Hostname ?? ""]));
  const s = await manager.getService(service).inspect();
  const tasks = await manager.listTasks({ filters: { service: [service], "desired-state": ["running"] } });
  return tasks
    .filter((t) => t.ServiceID === s.ID && t.Status?.State === "running")
    .map((t) => ({ dyno: `web.${t.Slot}`, node: nodes.get(t.NodeID ?? "") ?? "" }));
}

/** Distinct answers ("Hello from web.3") seen through the router within a few dozen requests. */
async function answers(url: string, want: number): Promise<Set<string>> {
  const seen = new Set<string>();
  await until(
    `${want} dynos answering through the router`,
    async () => {
      const r = await get(url);
      if (r.status === 200) seen.add(r.body.trim());
      return seen.size >= want;
    },
    60_000,
    50,
  );
  return seen;
}

/** Everything with Dynoform's label on one node, through that node's own API (images stay in its cache). */
async function dynoformObjects(url: string) {
  const d = dockerAt(url);
  const filters = { label: ["dynoform.managed=true"] };
  const [containers, networks, volumes] = await Promise.all([
    d.listContainers({ all: true, filters }),
    d.listNetworks({ filters }),
    d.listVolumes({ filters }),
  ]);
  return [...containers.map((c) => c.Names[0]), ...networks.map((n) => n.Name), ...(volumes.Volumes ?? []).map((v) => v.Name)];
}

// examples/hello on the test Swarm, through the real Pulumi CLI and engine.
describe("examples/hello on a Swarm", () => {
  const appName = `hello-${uniqueSuffix()}`;
  const stack = new PulumiStack(path.join(REPO, "examples/hello"), `cluster-${appName}`);
  stack.env.DYNOFORM_ROUTER_HTTP_PORT = String(cluster.routerHttpPort);
  const url = `http://${appName}.dynoform.localhost:${cluster.routerHttpPort}/`;

  beforeAll(async () => {
    await stack.init({ appName, webQuantity: "4", ...clusterStackConfig(cluster) });
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  it("up runs web.1…web.4 spread over at least two machines, served by the router on another one", async () => {
    const t = Date.now();
    await stack.up();
    console.log(`cluster up (build, push, 4 dynos, router): ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const outputs = await stack.outputs();
    expect(outputs.url).toBe(url);
    expect(outputs.dynos).toEqual(["web.1", "web.2", "web.3", "web.4"]);
    const where = await placement(`${appName}-web`);
    expect(new Set(where.map((w) => w.node)).size).toBeGreaterThanOrEqual(2);
    const routers = await manager.listTasks({ filters: { service: ["dynoform-router"], "desired-state": ["running"] } });
    const edge = (await manager.listNodes()).find((n) => n.Description?.Hostname === cluster.edgeNode)!;
    expect(routers.map((r) => r.NodeID)).toEqual([edge.ID]);
    // Every dyno answers, those on the other machines included.
    const seen = await answers(url, 4);
    expect([...seen].sort()).toEqual(["Hello from web.1", "Hello from web.2", "Hello from web.3", "Hello from web.4"]);
    expect(where.some((w) => w.node !== cluster.edgeNode)).toBe(true);
  });

  it("dynoform ps on the manager lists the dynos of every node", async () => {
    let out = "";
    expect(await runPs(["--app", appName], { stdout: (t) => (out += t), stderr: () => undefined }, manager)).toBe(0);
    const lines = out.split("\n").filter((l) => l.startsWith(appName));
    expect(lines.map((l) => l.split(/\s+/).slice(1, 5))).toEqual([1, 2, 3, 4].map((n) => [`web.${n}`, "up", "v1", "standard-1x"]));
    expect(new Set(lines.map((l) => /\(on (\S+)\)/.exec(l)?.[1])).size).toBeGreaterThanOrEqual(2);
  });

  it("dynoform logs on the manager interleaves the dynos' lines from every node", async () => {
    let out = "";
    expect(await runLogs(["--app", appName, "-n", "200"], { stdout: (t) => (out += t), stderr: () => undefined }, manager)).toBe(0);
    const started = new Set([...out.matchAll(/ app\[(web\.\d)\]: web\.\d listening on port 5000/g)].map((m) => m[1]));
    expect([...started].sort()).toEqual(["web.1", "web.2", "web.3", "web.4"]);
    // Once each: a task's container on the manager is not read a second time as a local dyno.
    expect(out.match(/listening on port 5000/g)).toHaveLength(4);
  });

  it("preview after up shows no changes", async () => {
    const r = await stack.preview(["--expect-no-changes"]);
    expect(r.code).toBe(0);
  });

  it("scaling to 6 adds dynos the router finds without a reload", async () => {
    const before = await manager.getService("dynoform-router").inspect();
    await stack.setConfig("webQuantity", "6");
    await stack.up();
    expect((await stack.outputs()).dynos).toEqual(["web.1", "web.2", "web.3", "web.4", "web.5", "web.6"]);
    expect((await answers(url, 6)).size).toBe(6);
    const after = await manager.getService("dynoform-router").inspect();
    expect(after.Version.Index).toBe(before.Version.Index);
  });

  it("refresh sees a service scaled by hand, and up puts the program's quantity back", async () => {
    const s = await manager.getService(`${appName}-web`).inspect();
    await manager.getService(`${appName}-web`).update({ version: s.Version.Index, ...s.Spec, Mode: { Replicated: { Replicas: 2 } } });
    const refresh = await stack.run(["refresh", "--yes", "--skip-preview"]);
    expect(refresh.output).toMatch(/~ .*Formation|updated/);
    const state = JSON.parse((await stack.run(["stack", "export"])).stdout);
    const formation = state.deployment.resources.find((r: { type: string }) => r.type.includes("Formation"));
    expect(formation.outputs.processes.web.quantity).toBe(2);
    await stack.up();
    expect((await stack.outputs()).dynos).toHaveLength(6);
  });

  it("a new release is rolled out and served", async () => {
    await stack.setConfig("greeting", "Howdy");
    await stack.up();
    expect((await stack.outputs()).release).toBe("v2");
    const r = await getUntil(url, (x) => x.body.startsWith("Howdy"));
    expect(r.body).toMatch(/^Howdy from web\.\d\n$/);
  });

  it("destroy leaves nothing with Dynoform's label on any node, and no service or config on the manager", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    // Swarm drops a removed service's tasks at once; each node stops their containers (SIGTERM, up to 30 s) after.
    for (const node of Object.values(cluster.nodeUrls))
      await until(`nothing labelled on ${node}`, async () => (await dynoformObjects(node)).length === 0, 60_000, 500);
    const filters = { label: ["dynoform.managed=true"] };
    expect(await manager.listServices({ filters })).toEqual([]);
    expect(await manager.listConfigs({ filters })).toEqual([]);
  });
});
