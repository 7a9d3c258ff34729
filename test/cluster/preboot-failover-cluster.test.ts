import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { getUntil, steadyLoad } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";
import { clusterStackConfig, dockerAt, hostDocker, nodeContainer, until } from "../support/test-cluster";

const cluster = inject("cluster");
const manager = dockerAt(cluster.managerUrl);

/** Running web tasks of a service, with the node each runs on. */
async function webTasks(service: string) {
  const nodes = new Map((await manager.listNodes()).map((n) => [n.ID, n.Description?.Hostname ?? ""]));
  const tasks = await manager.listTasks({ filters: { service: [service], "desired-state": ["running"] } });
  return tasks.filter((t) => t.Status?.State === "running").map((t) => ({ slot: t.Slot, node: nodes.get(t.NodeID ?? "") ?? "" }));
}

// Preboot and a machine going down, on the test Swarm, under a bounded load (4 clients in a loop).
describe("preboot and failover on a Swarm", () => {
  const appName = `pb-${uniqueSuffix()}`;
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/preboot"), `cluster-${appName}`);
  stack.env.DYNOFORM_ROUTER_HTTP_PORT = String(cluster.routerHttpPort);
  const url = `http://${appName}.dynoform.localhost:${cluster.routerHttpPort}/`;
  const stopped = nodeContainer(3);

  beforeAll(async () => {
    await stack.init({
      appName,
      webQuantity: "4",
      ...clusterStackConfig(cluster),
    });
    await stack.up();
    await getUntil(url, (r) => r.status === 200, 60_000);
  });
  afterAll(async () => {
    // The machine comes back for the files after this one.
    await hostDocker
      .getContainer(stopped)
      .start()
      .catch(() => undefined);
    await until("3 ready nodes again", async () => (await manager.listNodes()).every((n) => n.Status?.State === "ready"), 90_000).catch(
      () => undefined,
    );
    await stack.cleanup();
  });

  it("a preboot deploy under load fails no request: new dynos pass the port check before old ones stop", async () => {
    const load = steadyLoad(url, 4);
    await getUntil(url, (r) => r.status === 200);
    const t = Date.now();
    await stack.setConfig("greeting", "Howdy");
    await stack.up();
    const deploySeconds = (Date.now() - t) / 1000;
    await getUntil(url, (r) => r.body.startsWith("Howdy"));
    const result = await load.stop();
    console.log(`preboot deploy of 4 dynos: ${deploySeconds.toFixed(1)} s, ${result.ok} requests ok, ${result.failed} failed`);
    expect(result.failures).toEqual([]);
    expect([...result.bodies.keys()].some((b) => b.startsWith("Howdy"))).toBe(true);
    expect((await stack.outputs()).release).toBe("v2");
  });

  it("a machine that stops: its dynos answer again on the others", async () => {
    const service = `${appName}-web`;
    const before = await webTasks(service);
    expect(before.some((t) => t.node === stopped)).toBe(true);
    const load = steadyLoad(url, 4);
    await getUntil(url, (r) => r.status === 200);
    const t = Date.now();
    await hostDocker.getContainer(stopped).stop({ t: 1 });
    const moved = await until(
      "4 web dynos running on the other machines",
      async () => {
        const now = await webTasks(service);
        return now.length === 4 && now.every((x) => x.node !== stopped) && now;
      },
      120_000,
      250,
    );
    const failoverSeconds = (Date.now() - t) / 1000;
    const result = await load.stop();
    console.log(
      `failover: ${failoverSeconds.toFixed(1)} s until 4/4 dynos ran elsewhere; under load ${result.ok} requests ok, ${result.failed} failed`,
    );
    expect(new Set(moved.map((x) => x.slot))).toEqual(new Set([1, 2, 3, 4]));
    const seen = new Set<string>();
    await until("all 4 dynos answering", async () => {
      const r = await getUntil(url, (x) => x.status === 200);
      seen.add(r.body.trim());
      return seen.size === 4;
    });
  });
});
