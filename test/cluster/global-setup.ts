import type { TestProject } from "vitest/node";
import { bringUp, tearDown, type TestCluster } from "../support/test-cluster";

declare module "vitest" {
  export interface ProvidedContext {
    cluster: TestCluster;
  }
}

/** Starts the test cluster once for the cluster project's files, and removes it after (even after a failure). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let cluster: TestCluster;
  try {
    cluster = await bringUp();
  } catch (e) {
    await tearDown().catch(() => undefined);
    throw e;
  }
  console.log(
    `test cluster up in ${cluster.bringUpSeconds.toFixed(1)} s (manager ${cluster.managerUrl}, registry ${cluster.registryPush})`,
  );
  project.provide("cluster", cluster);
  return async () => {
    const t = Date.now();
    await tearDown();
    console.log(`test cluster removed in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  };
}
