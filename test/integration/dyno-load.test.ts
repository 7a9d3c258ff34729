import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImage } from "../../provider/docker/image-build";
import { LABEL } from "../../provider/docker/labels";
import { startDyno, stopDyno } from "../../provider/formations/dyno-driver";
import { ensureDynoManager, readMetrics, removeDynoManagerIfIdle } from "../../provider/formations/dyno-manager-controller";
import { ensureNetwork } from "../../provider/router/router-controller";
import { docker, removeTestApps, testDyno, waitFor } from "../support/docker";
import { REPO, uniqueSuffix } from "../support/pulumi";

// Heroku's dyno load counts tasks waiting for a CPU as well as running ones. Four busy loops held
// to one CPU run about one at a time and keep the rest waiting: the load must count more than the
// one CPU they get (the running part alone cannot exceed it). Short: it burns a CPU while it runs.
describe("dyno load", () => {
  const app = `load-${uniqueSuffix()}`;
  let image = "";
  const saved = process.env.DYNOFORM_METRICS_INTERVAL;

  beforeAll(async () => {
    process.env.DYNOFORM_METRICS_INTERVAL = "1";
    image = (
      await buildImage(path.join(REPO, "examples/hello/app"), `dynoform/app-${app}:test`, { [LABEL.managed]: "true", [LABEL.app]: app })
    ).tag;
    await ensureNetwork(`dynoform-app-${app}`, { [LABEL.managed]: "true", [LABEL.app]: app });
    await ensureDynoManager();
  }, 300_000);

  afterAll(async () => {
    await removeTestApps([app], [image]);
    if (saved === undefined) delete process.env.DYNOFORM_METRICS_INTERVAL;
    else process.env.DYNOFORM_METRICS_INTERVAL = saved;
    await removeDynoManagerIfIdle();
  });

  it("counts tasks waiting for a CPU (cgroup v2 pressure), not only running ones", async () => {
    const busy = "for i in 1 2 3 4; do (while :; do :; done) & done; wait";
    const c = await startDyno(testDyno(app, 1, image, { processType: "worker", command: busy }));
    await c.update({ CpusetCpus: "0" });
    const rows = await waitFor(
      "a load above one CPU",
      async () => {
        const r = await readMetrics(docker, { app, res: 60, sinceEpoch: 0 });
        return r.some((x) => x.load_max > 1.5) ? r : undefined;
      },
      60_000,
    );
    await stopDyno(c.id);
    expect(Math.max(...rows.map((r) => r.load_max))).toBeLessThan(4.5);
  });
});
