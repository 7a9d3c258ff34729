import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";
import { clusterStackConfig, dockerAt, until } from "../support/test-cluster";

const cluster = inject("cluster");
const manager = dockerAt(cluster.managerUrl);

// examples/web-worker unchanged on the test Swarm: a Node.js app built without a Dockerfile, a web
// and a worker process type (two services), preboot.
describe("examples/web-worker on a Swarm", () => {
  const appName = `ww-${uniqueSuffix()}`;
  const stack = new PulumiStack(path.join(REPO, "examples/web-worker"), `cluster-${appName}`);
  stack.env.DYNOFORM_ROUTER_HTTP_PORT = String(cluster.routerHttpPort);

  beforeAll(async () => {
    await stack.init({ appName, ...clusterStackConfig(cluster) });
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  it("runs web.1, web.2 and worker.1 as two services, the worker's size as its limit, and serves the web dynos", async () => {
    await stack.up();
    const outputs = await stack.outputs();
    expect(outputs.dynos).toEqual(["web.1", "web.2", "worker.1"]);
    const worker = await manager.getService(`${appName}-worker`).inspect();
    // standard-2x: 1 GB quota reserved, killed at 2 GB (R15); no port check for a worker.
    expect(worker.Spec.TaskTemplate.Resources.Limits.MemoryBytes).toBe(2 * 1024 * 1024 * 1024);
    expect(worker.Spec.TaskTemplate.ContainerSpec.Env).toContain("DYNO=worker.{{.Task.Slot}}");
    expect((await manager.getService(`${appName}-web`).inspect()).Spec.UpdateConfig.Order).toBe("start-first");
    const r = await getUntil(String(outputs.url), (x) => x.status === 200, 60_000);
    expect(r.body).toMatch(/^Hello from web\.[12]\n$/);
  });

  it("destroy removes both services and the app's network", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    await until("no service or network of the app on the manager", async () => {
      const services = await manager.listServices({ filters: { label: [`dynoform.app=${appName}`] } });
      const networks = await manager.listNetworks({ filters: { label: [`dynoform.app=${appName}`] } });
      return services.length + networks.length === 0;
    });
  });
});
