import * as path from "node:path";
import { afterAll, beforeAll, it } from "vitest";
import { get, getUntil, steadyLoad } from "../test/support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../test/support/pulumi";
import {
  bringUp,
  clusterStackConfig,
  dockerAt,
  hostDocker,
  nodeContainer,
  tearDown,
  type TestCluster,
  until,
} from "../test/support/test-cluster";

// Issue 16: a machine of the test Swarm stops under a bounded load (4 clients in a loop); how long
// until its dynos run and answer on the others, and how many requests the load lost. Swarm's own
// detection of a down node was measured at ~14 s (shared/swarm-notes.md).
let cluster: TestCluster;
const appName = `fo-${uniqueSuffix()}`;
const stack = new PulumiStack(path.join(REPO, "examples/hello"), `bench-${appName}`);

beforeAll(async () => {
  cluster = await bringUp();
  stack.env.DYNOFORM_ROUTER_HTTP_PORT = String(cluster.routerHttpPort);
  await stack.init({ appName, webQuantity: "6", ...clusterStackConfig(cluster) });
  await stack.up();
});

afterAll(async () => {
  await stack.cleanup();
  await tearDown();
});

it("a machine stops: time until its dynos answer elsewhere, requests lost under load", async () => {
  const manager = dockerAt(cluster.managerUrl);
  const url = `http://${appName}.dynoform.localhost:${cluster.routerHttpPort}/`;
  await getUntil(url, (r) => r.status === 200, 60_000);
  const service = await manager.getService(`${appName}-web`).inspect();
  const nodeName = new Map((await manager.listNodes()).map((n) => [n.ID, n.Description?.Hostname]));
  const down = nodeContainer(3);
  const tasks = async () =>
    (await manager.listTasks({ filters: { service: [service.ID], "desired-state": ["running"] } })).filter(
      (t) => t.ServiceID === service.ID && t.Status?.State === "running",
    );
  const onDown = (await tasks()).filter((t) => nodeName.get(t.NodeID ?? "") === down).map((t) => `web.${t.Slot}`);
  const load = steadyLoad(url, 4);
  await new Promise((r) => setTimeout(r, 2000));
  const t0 = performance.now();
  await hostDocker.getContainer(down).stop({ t: 1 });
  let nodeDownAt = 0;
  await until(
    "6 dynos running on the others",
    async () => {
      if (!nodeDownAt && (await manager.listNodes()).some((n) => n.Description?.Hostname === down && n.Status?.State === "down"))
        nodeDownAt = performance.now();
      const now = await tasks();
      return now.length === 6 && now.every((t) => nodeName.get(t.NodeID ?? "") !== down);
    },
    300_000,
    250,
  );
  const rescheduled = (performance.now() - t0) / 1000;
  const answering = new Set<string>();
  await until(
    "the moved dynos answering",
    async () => {
      const r = await get(url);
      if (r.status === 200) answering.add(r.body.trim().split(" ").pop() ?? "");
      return onDown.every((d) => answering.has(d));
    },
    120_000,
    20,
  );
  const answered = (performance.now() - t0) / 1000;
  const result = await load.stop();
  console.log(
    [
      "\nbench/failover",
      `machine ${down} stopped with ${onDown.join(", ")}: marked down after ${((nodeDownAt - t0) / 1000).toFixed(1)} s, 6/6 running elsewhere after ${rescheduled.toFixed(1)} s, its dynos answering after ${answered.toFixed(1)} s`,
      `bounded load (4 clients): ${result.ok} ok, ${result.failed} failed (${((100 * result.failed) / Math.max(1, result.ok + result.failed)).toFixed(2)}%)${result.failures.length ? `; first failures: ${result.failures.slice(0, 3).join(" | ")}` : ""}\n`,
    ].join("\n"),
  );
  await hostDocker.getContainer(down).start();
});
