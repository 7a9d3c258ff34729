import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, it } from "vitest";
import { waitForPort } from "../provider/formations/boot-check";
import { startDyno, stopDyno, type DynoSpec } from "../provider/formations/dyno-driver";
import { LABEL } from "../provider/docker/labels";
import { ensureNetwork, removeAppNetwork, syncRouter } from "../provider/router/router-controller";
import { getDynoSize } from "../sdk/dyno-sizes";
import { runtimeSettings } from "../sdk/settings";
import { docker } from "../test/support/docker";
import { PulumiStack, REPO, uniqueSuffix } from "../test/support/pulumi";

// Issue 4's target: `pulumi up` scaling web 0→10 and 0→30 dynos, against starting the same number
// of containers (same image, same limits, same boot check) straight through the Docker API in
// parallel, then routing to them on the same router, in the same run. Goal: at most 1.5× at 30
// (issue 4), then 1.2× (issue 17).
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const appName = `bench-${uniqueSuffix()}`;
const stack = new PulumiStack(path.join(REPO, "examples/hello"), `bench-${appName}`);
const anchorApp = `${appName}-anchor`;
const anchorNet = `dynoform-app-${anchorApp}`;
const { router, routerHttpPort } = runtimeSettings();
const anchorRouter = { name: router, httpPort: routerHttpPort };
let image = "";

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

/** Seconds of the anchor, and of its router update alone (the part the anchor had not before). */
async function anchor(count: number): Promise<{ seconds: number; router: number }> {
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
  // The same work as the `up`: each dyno created, started and accepting connections, then one
  // router update that routes to all of them (the anchor's network is an app network of the router).
  let router = 0;
  const seconds = await time(async () => {
    await Promise.all(
      Array.from({ length: count }, async (_, i) => waitForPort(await startDyno(spec(i + 1)), anchorNet, 5000, `web.${i + 1}`)),
    );
    router = await time(() => syncRouter(anchorRouter));
  });
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${anchorApp}`] } });
  await Promise.all(left.map((c) => stopDyno(c.Id)));
  await syncRouter(anchorRouter);
  return { seconds, router };
}

beforeAll(async () => {
  await stack.init({ appName, webQuantity: "0" });
  await stack.up();
  image = (await docker.listImages({ filters: { label: [`${LABEL.app}=${appName}`] } }))[0].Id;
  await ensureNetwork(anchorNet, {
    [LABEL.managed]: "true",
    [LABEL.role]: "app-network",
    [LABEL.app]: anchorApp,
    [LABEL.hostname]: `${anchorApp}.bench.localhost`,
    [LABEL.webPort]: "5000",
    [LABEL.router]: router,
  });
});

afterAll(async () => {
  // The anchor's network leaves the router first, so the stack's destroy can remove the router.
  const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${anchorApp}`] } });
  await Promise.all(left.map((c) => stopDyno(c.Id)));
  await removeAppNetwork(anchorRouter, anchorNet).catch(() => undefined);
  await stack.cleanup();
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => os.loadavg()[0].toFixed(1);

it("scale 0→10 and 0→30 web dynos: pulumi up against the Docker API", async () => {
  // Alternating rounds, the anchor first in one round and second in the next, so the drift of a
  // shared machine hits both alike; the ratio reported is the median of the rounds' ratios.
  const rows: string[] = [`${os.cpus().length} cores, load average ${load()} at the start`];
  const summary: Array<{ count: number; ratios: number[]; ups: number[]; directs: number[]; routers: number[] }> = [];
  for (const count of [10, 30]) {
    const ratios: number[] = [];
    const ups: number[] = [];
    const directs: number[] = [];
    const routers: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const up = async () => {
        await stack.setConfig("webQuantity", String(count));
        const seconds = await time(() => stack.up());
        await stack.setConfig("webQuantity", "0");
        await stack.up();
        return seconds;
      };
      let a: { seconds: number; router: number };
      let upSeconds: number;
      if (round % 2 === 0) {
        a = await anchor(count);
        upSeconds = await up();
      } else {
        upSeconds = await up();
        a = await anchor(count);
      }
      const direct = a.seconds;
      routers.push(a.router);
      ratios.push(upSeconds / direct);
      ups.push(upSeconds);
      directs.push(direct);
      rows.push(
        `web 0→${count} round ${round + 1}: pulumi up ${upSeconds.toFixed(1)} s, Docker API ${direct.toFixed(1)} s (router update ${a.router.toFixed(2)} s of it), ratio ${(upSeconds / direct).toFixed(2)}× (${(upSeconds / (direct - a.router)).toFixed(2)}× without the router update) (load ${load()})`,
      );
    }
    summary.push({ count, ratios, ups, directs, routers });
  }
  const noops: number[] = [];
  for (let round = 0; round < ROUNDS; round++) noops.push(await time(() => stack.up()));
  const noop = median(noops);
  // What Dynoform adds to the Docker work is the up's time beyond a no-change up (Pulumi's own
  // fixed cost: CLI, language host, program, provider host), against the anchor.
  for (const { count, ratios, ups, directs, routers } of summary) {
    const withoutRouter = ups.map((u, i) => u / (directs[i] - routers[i]));
    rows.push(
      `web 0→${count}: median ratio ${median(ratios).toFixed(2)}× over ${ROUNDS} rounds (${median(withoutRouter).toFixed(2)}× against the anchor without its router update); beyond a no-change up: ${((median(ups) - noop) / median(directs)).toFixed(2)}× the Docker API`,
    );
  }
  rows.push(`pulumi up with nothing to change: median ${noop.toFixed(1)} s (the fixed cost of the CLI, engine and program)`);
  rows.push(`load average ${load()} at the end`);
  console.log(`\nbench/scale\n${rows.join("\n")}\n`);
});
