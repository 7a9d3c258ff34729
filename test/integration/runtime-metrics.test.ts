import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appImageLabels } from "../../provider/apps/app-provider";
import { buildImage } from "../../provider/docker/image-build";
import { LABEL } from "../../provider/docker/labels";
import { PRELOAD_PATH, RUNTIME_METRICS_DIR } from "../../provider/dyno-manager/node-preload";
import { startDyno } from "../../provider/formations/dyno-driver";
import { ensureDynoManager, readRuntimeMetrics, removeDynoManagerIfIdle } from "../../provider/formations/dyno-manager-controller";
import type { RuntimeRow } from "../../provider/dyno-manager/metrics-store";
import { ensureNetwork } from "../../provider/router/router-controller";
import { dockerfileFor } from "../../sdk/buildpacks";
import { getDynoSize } from "../../sdk/dyno-sizes";
import type { CommandIO } from "../../cli/check";
import { runMetrics } from "../../cli/metrics";
import { docker, removeTestApps, testDyno, waitFor } from "../support/docker";
import { REPO, uniqueSuffix } from "../support/pulumi";

/** Whether a path exists in a container (the archive API answers 404 when it does not). */
async function exists(container: string, p: string): Promise<boolean> {
  return docker
    .getContainer(container)
    .getArchive({ path: p })
    .then((stream) => {
      stream.resume();
      return true;
    })
    .catch((e) => {
      if ((e as { statusCode?: number }).statusCode === 404) return false;
      throw e;
    });
}

const envOf = async (container: string) => (await docker.getContainer(container).inspect()).Config.Env ?? [];

// Language runtime metrics on a real engine: buildpack-built apps (as the App provider builds
// them), dynos started as the Formation provider starts them, the dyno manager sampling every
// second. Only the Node.js app on a Standard size gets the preload.
describe("language runtime metrics", () => {
  const suffix = uniqueSuffix();
  const node = `rtm-node-${suffix}`;
  const basic = `rtm-basic-${suffix}`;
  const plain = `rtm-static-${suffix}`;
  const images: string[] = [];
  const staticDir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-static-"));
  const saved: Record<string, string | undefined> = {};
  const waitLong = <T>(what: string, probe: () => Promise<T | undefined>) => waitFor(what, probe, 90_000);
  const rowsOf = async (app: string, res = 60) => readRuntimeMetrics(docker, { app, res, sinceEpoch: 0 });
  const dynoUrl = async (container: string, app: string, p: string) => {
    const ip = (await docker.getContainer(container).inspect()).NetworkSettings.Networks[`dynoform-app-${app}`].IPAddress;
    return `http://${ip}:5000${p}`;
  };

  /** Builds `dir` the way the App provider builds a detected language. */
  const build = async (app: string, dir: string, language: "node" | "static") => {
    const tag = `dynoform/app-${app}:test`;
    images.push(tag);
    await buildImage(dir, tag, appImageLabels(app, language), { dockerfile: dockerfileFor(language, dir) });
    return tag;
  };

  beforeAll(async () => {
    for (const k of ["DYNOFORM_CRASH_BACKOFF_SCALE", "DYNOFORM_METRICS_INTERVAL"]) saved[k] = process.env[k];
    process.env.DYNOFORM_CRASH_BACKOFF_SCALE = "0.0025";
    process.env.DYNOFORM_METRICS_INTERVAL = "1";
    fs.writeFileSync(path.join(staticDir, "index.html"), "<h1>static</h1>\n");
    const nodeImage = await build(node, path.join(REPO, "test/fixtures/runtime-metrics-app"), "node");
    const staticImage = await build(plain, staticDir, "static");
    for (const app of [node, basic, plain]) await ensureNetwork(`dynoform-app-${app}`, { [LABEL.managed]: "true", [LABEL.app]: app });
    await ensureDynoManager();
    await startDyno(testDyno(node, 1, nodeImage, { env: { NODE_OPTIONS: "--max-old-space-size=200" } }));
    await startDyno(testDyno(basic, 1, nodeImage, { size: "basic", limits: getDynoSize("basic")!.docker }));
    await startDyno(testDyno(plain, 1, staticImage));
  }, 600_000);

  afterAll(async () => {
    await removeTestApps([node, basic, plain], images);
    fs.rmSync(staticDir, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await removeDynoManagerIfIdle();
  });

  it("labels the image with its detected language", async () => {
    const info = await docker.getImage(images[0]).inspect();
    expect(info.Config.Labels?.[LABEL.language]).toBe("node");
  });

  it("gives a Standard Node.js dyno the preload: in NODE_OPTIONS after the app's own, the file in its container only", async () => {
    const env = await envOf(`${node}.web.1`);
    expect(env).toContain(`NODE_OPTIONS=--max-old-space-size=200 --require ${PRELOAD_PATH}`);
    expect(await exists(`${node}.web.1`, PRELOAD_PATH)).toBe(true);
    // The app runs with it and sees both options.
    const text = await waitLong("the Node.js dyno to answer", async () => (await fetch(await dynoUrl(`${node}.web.1`, node, "/"))).text());
    expect(text).toBe(`--max-old-space-size=200 --require ${PRELOAD_PATH}\n`);
    // Nothing went into the image.
    expect((await docker.getImage(images[0]).inspect()).Config.Env ?? []).not.toContainEqual(expect.stringContaining("NODE_OPTIONS"));
  });

  it("gives nothing to a Basic Node.js dyno nor a Standard non-Node dyno", async () => {
    for (const app of [basic, plain]) {
      const name = `${app}.web.1`;
      expect((await envOf(name)).filter((e) => e.startsWith("NODE_OPTIONS="))).toEqual([]);
      expect((await docker.getContainer(name).inspect()).Config.Labels[LABEL.runtimeMetrics]).toBeUndefined();
      expect(await exists(name, PRELOAD_PATH)).toBe(false);
      expect(await exists(name, RUNTIME_METRICS_DIR)).toBe(false);
    }
    // Basic keeps 10-minute buckets only.
    expect(await rowsOf(basic, 600)).toEqual([]);
    expect(await rowsOf(plain)).toEqual([]);
  });

  it("stores heap, GC time and event-loop delay; a request that holds the loop shows as its delay", async () => {
    for (let i = 0; i < 20; i++) await fetch(await dynoUrl(`${node}.web.1`, node, "/"));
    const longest = (rows: RuntimeRow[]) => Math.max(0, ...rows.map((r) => r.eld_max ?? 0));
    // The longest delay so far (start-up, a busy machine), then a request that holds the loop well beyond it.
    const before = longest(
      await waitLong("the first runtime buckets", async () => ((await rowsOf(node)).length ? rowsOf(node) : undefined)),
    );
    const blockMs = Math.round(Math.max(250, before + 250));
    await fetch(await dynoUrl(`${node}.web.1`, node, `/block?ms=${blockMs}`));
    const rows = await waitLong(`runtime buckets with the ${blockMs} ms block`, async () => {
      const r = await rowsOf(node);
      // Less the monitor's 10 ms resolution, which the preload takes off every delay.
      return longest(r) >= blockMs - 10 ? r : undefined;
    });
    expect(rows.every((r) => r.dyno === "web.1" && r.process === "web")).toBe(true);
    expect(Math.max(...rows.map((r) => r.heap_max))).toBeGreaterThan(1);
    expect(Math.max(...rows.map((r) => r.heap_max))).toBeLessThan(200);
    expect(rows.every((r) => r.heap_total_max >= r.heap_max)).toBe(true);
    expect(rows.some((r) => r.gc_ms_per_min !== null)).toBe(true);
    // Outside the blocked window the loop is idle: the mean delay stays far below the block.
    expect(Math.min(...rows.map((r) => r.eld_mean ?? 1000))).toBeLessThan(50);

    let out = "";
    const io: CommandIO = { stdout: (t) => (out += t), stderr: (t) => (out += t) };
    expect(await runMetrics(["--app", node, "--since", "2h"], io, docker)).toBe(0);
    if (process.env.SHOW_METRICS) console.log(out);
    expect(out).toMatch(/heap {4}[▁▂▃▄▅▆▇█ ]+ {2}now \d+\.\d MB/);
    expect(out).toMatch(/gc {6}[▁▂▃▄▅▆▇█ ]+ {2}now /);
    expect(out).toMatch(/delay {3}[▁▂▃▄▅▆▇█ ]+ {2}p99 now [\d.]+ ms .* longest \d{3,}\.\d ms/);
  });

  it("keeps reporting after a crash restart: the fresh container gets the preload again", async () => {
    const before = await docker.getContainer(`${node}.web.1`).inspect();
    await docker.getContainer(`${node}.web.1`).kill();
    const after = await waitLong("the crashed Node.js dyno's fresh container", async () => {
      const c = await docker.getContainer(`${node}.web.1`).inspect();
      return c.Id !== before.Id && c.State.Running ? c : undefined;
    });
    expect(after.Config.Env).toContain(`NODE_OPTIONS=--max-old-space-size=200 --require ${PRELOAD_PATH}`);
    expect(await exists(`${node}.web.1`, PRELOAD_PATH)).toBe(true);
    const samples = async () => (await rowsOf(node)).reduce((a, r) => a + r.samples, 0);
    const counted = await samples();
    // The preload writes again in the new container, and the manager reads it.
    await waitLong("the preload's file in the fresh container", async () =>
      (await exists(`${node}.web.1`, RUNTIME_METRICS_DIR)) ? true : undefined,
    );
    await waitLong("runtime samples from the fresh container", async () => ((await samples()) > counted + 2 ? true : undefined));
  });
});
