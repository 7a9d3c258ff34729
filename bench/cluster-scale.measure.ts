import * as path from "node:path";
import { afterAll, beforeAll, it } from "vitest";
import { serviceSpec } from "../provider/engine/swarm-service-spec";
import { PulumiStack, REPO, uniqueSuffix } from "../test/support/pulumi";
import { bringUp, clusterStackConfig, dockerAt, tearDown, type TestCluster, until } from "../test/support/test-cluster";

// Issue 16's target: `pulumi up` scaling web 0→30 dynos across the three machines of the test
// Swarm, against creating the same service (same image, limits, port check) straight through the
// manager's API, in the same run. Goal: at most 1.3×.
//
// Every node pulls the image once before anything is timed (a global warm-up service), and the two
// sides alternate over ROUNDS rounds, each side going first in turn, so neither pays a first pull
// or a quieter minute alone. The reported ratio is the median of the rounds' ratios.
const ROUNDS = Number(process.env.DYNOFORM_BENCH_ROUNDS ?? 3);
let cluster: TestCluster;
const appName = `bench-${uniqueSuffix()}`;
const stack = new PulumiStack(path.join(REPO, "examples/hello"), `bench-${appName}`);

const time = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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
  const runningTasks = async (name: string) => {
    const s = await manager.getService(name).inspect();
    const tasks = await manager.listTasks({ filters: { service: [name], "desired-state": ["running"] } });
    return tasks.filter((t) => t.ServiceID === s.ID && t.Status?.State === "running");
  };
  const removeService = async (name: string) => {
    const s = await manager.getService(name).inspect();
    await manager.getService(name).remove();
    await until(`${name}'s tasks gone`, async () => !(await manager.listTasks()).some((t) => t.ServiceID === s.ID), 120_000, 500);
  };

  // Warm-up: one task per node pulls the image everywhere.
  const warm = { ...spec, Name: `${appName}-warm`, Mode: { Global: {} } };
  await manager.createService(warm as never);
  await until("the image on every node", async () => (await runningTasks(warm.Name)).length >= 3, 600_000, 500);
  await removeService(warm.Name);

  const anchor = async () => {
    const seconds = await time(async () => {
      await manager.createService(spec as never);
      await until("30 anchor tasks running", async () => (await runningTasks(spec.Name)).length >= 30, 600_000, 250);
    });
    await removeService(spec.Name);
    return seconds;
  };
  let machines = 0;
  const pulumiUp = async () => {
    await stack.setConfig("webQuantity", "30");
    const seconds = await time(() => stack.up());
    machines = new Set((await runningTasks(`${appName}-web`)).map((t) => t.NodeID)).size;
    await stack.setConfig("webQuantity", "0");
    await stack.up();
    return seconds;
  };

  const rounds: { up: number; direct: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      const direct = await anchor();
      rounds.push({ direct, up: await pulumiUp() });
    } else {
      const up = await pulumiUp();
      rounds.push({ up, direct: await anchor() });
    }
  }
  const lines = rounds.map(
    (x, i) => `  round ${i + 1}: pulumi up ${x.up.toFixed(1)} s, manager API ${x.direct.toFixed(1)} s, ${(x.up / x.direct).toFixed(2)}×`,
  );
  console.log(
    `\nbench/cluster-scale (${ROUNDS} alternating rounds, image pulled on every node first)\n${lines.join("\n")}\n` +
      `web 0→30 on ${machines} machines: median ratio ${median(rounds.map((x) => x.up / x.direct)).toFixed(2)}× (goal ≤ 1.3×)\n`,
  );
});
