import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ASLEEP_LABEL } from "../../provider/engine/swarm-eco-sleep";
import { get, getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";
import { clusterStackConfig, dockerAt, until } from "../support/test-cluster";

const cluster = inject("cluster");
const manager = dockerAt(cluster.managerUrl);

/** The service's replicas, its asleep label and how many of its dynos run. */
async function web(app: string) {
  const s = await manager.getService(`${app}-web`).inspect();
  const tasks = await manager.listTasks({ filters: { service: [`${app}-web`], "desired-state": ["running"] } });
  return {
    replicas: s.Spec.Mode?.Replicated?.Replicas as number,
    asleep: s.Spec.Labels?.[ASLEEP_LABEL] as string | undefined,
    running: tasks.filter((t) => t.ServiceID === s.ID && t.Status?.State === "running").length,
  };
}

// Eco sleeping on the test Swarm: the cluster's dyno manager scales an idle Eco app to 0 and the
// router (another service) holds the next request while the manager scales it back.
describe("Eco sleeping on a Swarm", () => {
  const appName = `eco-${uniqueSuffix()}`;
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/eco-sleep"), `cluster-${appName}`);
  stack.env.DYNOFORM_ROUTER_HTTP_PORT = String(cluster.routerHttpPort);
  const url = `http://${appName}.dynoform.localhost:${cluster.routerHttpPort}/`;

  beforeAll(async () => {
    await stack.init({ appName, ecoSleepAfterSeconds: "4", ...clusterStackConfig(cluster) });
    await stack.up();
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  it("serves the Eco dyno, then scales its service to 0 after its idle time", async () => {
    expect((await stack.outputs()).dynos).toEqual(["web.1"]);
    expect((await getUntil(url, (r) => r.status === 200, 60_000)).body).toBe("Hello from web.1\n");
    const managers = await manager.listServices({ filters: { label: ["dynoform.role=dyno-manager"] } });
    expect(managers).toHaveLength(1);
    await until(
      "the Eco service asleep, no dyno running",
      async () => {
        const w = await web(appName);
        return w.replicas === 0 && w.asleep === "1" && w.running === 0;
      },
      90_000,
      500,
    );
  });

  it("refresh and preview see no drift in a sleeping formation (an up would wake it)", async () => {
    await stack.run(["refresh", "--yes", "--skip-preview"]);
    const state = JSON.parse((await stack.run(["stack", "export"])).stdout);
    const formation = state.deployment.resources.find((r: { type: string }) => r.type.includes("Formation"));
    expect(formation.outputs.processes.web.quantity).toBe(1);
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
    expect((await web(appName)).replicas).toBe(0);
  });

  it("wakes on the next request, which is held and served once the dyno is up", async ({ onTestFailed }) => {
    onTestFailed(async () => {
      for (const service of ["dynoform-dyno-manager", "dynoform-router"]) {
        const out = await manager.getService(service).logs({ stdout: true, stderr: true, timestamps: true, tail: 30 });
        console.log(`--- ${service}:\n${[...out.toString()].filter((c) => c.charCodeAt(0) > 8).join("")}`);
      }
    });
    const r = await get(url, { timeoutMs: 80_000 });
    expect(r.status).toBe(200);
    expect(r.body).toBe("Hello from web.1\n");
    const w = await web(appName);
    expect(w).toMatchObject({ replicas: 1, asleep: undefined });
    expect(w.running).toBe(1);
  }, 90_000);

  it("destroy removes the app's services and the dyno manager with the last Eco app", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    await until("no service of the app nor the dyno manager", async () => {
      const services = await manager.listServices({ filters: { label: ["dynoform.managed=true"] } });
      return !services.some((s) => s.Spec?.Labels?.["dynoform.app"] === appName || s.Spec?.Labels?.["dynoform.role"] === "dyno-manager");
    });
  });
});
