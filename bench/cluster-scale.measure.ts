import * as path from "node:path";
import { afterAll, beforeAll, it } from "vitest";
import { serviceSpec } from "../provider/engine/swarm-service-spec";
import { PulumiStack, REPO, uniqueSuffix } from "../test/support/pulumi";
import { bringUp, clusterStackConfig, dockerAt, tearDown, type TestCluster, until } from "../test/support/test-cluster";

// Issue 16's target: `pulumi up` scaling web 0→30 dynos across the three machines of the test
// Swarm, against creating the same service (same image, limits, port check) straight through the
// manager's API, in the same run. Goal: at most 1.3×.
let cluster: TestCluster;
const appName = `bench-${uniqueSuffix()}`;
const stack = new PulumiStack(path.join(REPO, "examples/hello"), `bench-${appName}`);

const time = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
};

beforeAll(async () => {
  cluster = await bringUp();
  console.log(`test cluster up in ${cluster.bringUpSeconds.toFixed(1)} s`);
  stack.env.DYNOFORM_ROUTER_HTTP_PORT = String(cluster.routerHttpPort);
  await stack.init({ appName, webQuantity: "0", ...clusterStackConfig(cluster) });
  await stack.up();
});

afterAll(async () => {
  await stack.cleanup();
  await tearDown();
});

it("scale 0→30 web dynos on a Swarm: pulumi up against the manager's API", async () => {
  const manager = dockerAt(cluster.managerUrl);
  const state = JSON.parse((await stack.run(["stack", "export"])).stdout);
  const app = state.deployment.resources.find((r: { type: string }) => r.type.includes("App")).outputs;
  const spec = serviceSpec({
    app: `${appName}-anchor`,
    processType: "web",
    quantity: 30,
    size: "standard-1x",
    release: "v1",
    image: app.imageId,
    command: app.processCommands.web,
    env: {},
    network: app.network,
    webPort: 5000,
    preboot: false,
    bootTimeoutSeconds: 60,
    inSpace: false,
  });
  const running = async (name: string, n: number) => {
    const s = await manager.getService(name).inspect();
    const tasks = await manager.listTasks({ filters: { service: [name], "desired-state": ["running"] } });
    return tasks.filter((t) => t.ServiceID === s.ID && t.Status?.State === "running").length >= n;
  };
  const direct = await time(async () => {
    await manager.createService(spec as never);
    await until("30 anchor tasks running", () => running(spec.Name, 30), 600_000, 250);
  });
  const s = await manager.getService(spec.Name).inspect();
  await manager.getService(spec.Name).remove();
  await until("anchor tasks gone", async () => !(await manager.listTasks()).some((t) => t.ServiceID === s.ID), 120_000, 500);
  await stack.setConfig("webQuantity", "30");
  const up = await time(() => stack.up());
  const nodes = new Set(
    (await manager.listTasks({ filters: { service: [`${appName}-web`], "desired-state": ["running"] } })).map((t) => t.NodeID),
  );
  console.log(
    `\nbench/cluster-scale\nweb 0→30 on ${nodes.size} machines: pulumi up ${up.toFixed(1)} s, manager API ${direct.toFixed(1)} s, ratio ${(up / direct).toFixed(2)}× (goal ≤ 1.3×)\n`,
  );
  await stack.setConfig("webQuantity", "0");
  await stack.up();
});
