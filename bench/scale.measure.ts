import * as path from "node:path";
import { afterAll, beforeAll, it } from "vitest";
import { waitForPort } from "../provider/formations/boot-check";
import { startDyno, stopDyno, type DynoSpec } from "../provider/formations/dyno-driver";
import { LABEL } from "../provider/docker/labels";
import { ensureNetwork } from "../provider/router/router-controller";
import { getDynoSize } from "../sdk/dyno-sizes";
import { docker } from "../test/support/docker";
import { PulumiStack, REPO, uniqueSuffix } from "../test/support/pulumi";

// Issue 4's target: `pulumi up` scaling web 0→10 and 0→30 dynos, against starting the same number
// of containers (same image, same limits, same boot check) straight through the Docker API in
// parallel, in the same run. Goal: at most 1.5× at 30.
const appName = `bench-${uniqueSuffix()}`;
const stack = new PulumiStack(path.join(REPO, "examples/hello"), `bench-${appName}`);
const anchorApp = `${appName}-anchor`;
const anchorNet = `dynoform-app-${anchorApp}`;
let image = "";

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function anchor(count: number): Promise<number> {
  const limits = getDynoSize("standard-1x")!.docker;
  const spec = (i: number): DynoSpec => ({
    app: anchorApp,
    processType: "web",
    index: i,
    release: "v1",
    size: "standard-1x",
    image,
    env: {},
    network: anchorNet,
    aliases: [],
    webPort: 5000,
    limits,
  });
  const seconds = await time(() =>
    Promise.all(Array.from({ length: count }, async (_, i) => waitForPort(await startDyno(spec(i + 1)), anchorNet, 5000, `web.${i + 1}`))),
  );
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${anchorApp}`] } });
  await Promise.all(left.map((c) => stopDyno(c.Id)));
  return seconds;
}

beforeAll(async () => {
  await stack.init({ appName, webQuantity: "0" });
  await stack.up();
  image = (await docker.listImages({ filters: { label: [`${LABEL.app}=${appName}`] } }))[0].Id;
  await ensureNetwork(anchorNet, { [LABEL.managed]: "true", [LABEL.app]: anchorApp });
});

afterAll(async () => {
  await stack.cleanup();
  await docker
    .getNetwork(anchorNet)
    .remove()
    .catch(() => undefined);
});

it("scale 0→10 and 0→30 web dynos: pulumi up against the Docker API", async () => {
  const rows: string[] = [];
  for (const count of [10, 30]) {
    const direct = await anchor(count);
    await stack.setConfig("webQuantity", String(count));
    const up = await time(() => stack.up());
    rows.push(
      `web 0→${count}: pulumi up ${up.toFixed(1)} s, Docker API ${direct.toFixed(1)} s for ${count} containers, ratio ${(up / direct).toFixed(2)}×`,
    );
    await stack.setConfig("webQuantity", "0");
    await stack.up();
  }
  const noop = await time(() => stack.up());
  rows.push(`pulumi up with nothing to change: ${noop.toFixed(1)} s (the fixed cost of the CLI, engine and program)`);
  console.log(`\nbench/scale\n${rows.join("\n")}\n`);
});
