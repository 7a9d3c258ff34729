/**
 * The dyno manager's side of language runtime metrics: each sampling round it reads the folder
 * the preload writes in every dyno that has it (`GET /containers/{id}/archive`: a tar of the
 * folder, read by the engine from the container's filesystem — no exec, no network, nothing runs
 * in the dyno), and folds the windows that closed since the last round (runtime-metrics.ts).
 * It also puts the preload into a crash restart's fresh container (dyno-manager.ts `recreate`).
 */
import type { DockerSocket } from "../docker/docker-socket";
import { LABEL } from "../docker/labels";
import { untarFiles } from "../docker/tar-archive";
import { isRetention } from "./metrics-plan";
import { preloadArchive, RUNTIME_METRICS_DIR } from "./node-preload";
import { firstSince, foldWindows, parseRuntimeFile, type RuntimeSample } from "./runtime-metrics";

interface Listed {
  Id: string;
  /** Epoch seconds. */
  Created: number;
  Labels: Record<string, string>;
}

/** Puts the preload into a created (not yet started) container. */
export async function putPreload(docker: DockerSocket, id: string): Promise<void> {
  const put = await docker.binary("PUT", `/containers/${encodeURIComponent(id)}/archive?path=%2F`, preloadArchive());
  if (put.status !== 200) throw new Error(`putting the runtime metrics preload into ${id}: ${put.body.toString().trim() || put.status}`);
}

/** Keeps, per container, where the last round stopped. */
export class RuntimeReader {
  private readonly since = new Map<string, number>();
  private readonly startedMs = Date.now();

  constructor(
    private readonly docker: DockerSocket,
    private readonly intervalSeconds: number,
  ) {}

  /** One round: a sample of each running dyno with the preload whose tier keeps metrics. */
  async sample(): Promise<RuntimeSample[]> {
    const filters = encodeURIComponent(
      JSON.stringify({ label: ["dynoform.role=dyno", `${LABEL.runtimeMetrics}=node`], status: ["running"] }),
    );
    const { body } = await this.docker.request<Listed[]>("GET", `/containers/json?filters=${filters}`);
    const running = body ?? [];
    const samples: RuntimeSample[] = [];
    for (const c of running) {
      const retention = c.Labels[LABEL.metrics];
      if (!isRetention(retention) || retention === "none") continue;
      // 404 until the preload's first write: no sample yet.
      const got = await this.docker
        .binary("GET", `/containers/${c.Id}/archive?path=${encodeURIComponent(RUNTIME_METRICS_DIR)}`)
        .catch(() => undefined);
      if (got?.status !== 200) continue;
      const files = untarFiles(got.body).filter((f) => f.name.endsWith(".json"));
      const reading = foldWindows(
        files.map((f) => parseRuntimeFile(f.data.toString("utf8"))),
        this.since.get(c.Id) ?? firstSince(c.Created * 1000, this.startedMs, this.intervalSeconds),
      );
      if (!reading) continue;
      this.since.set(c.Id, reading.atMs);
      samples.push({
        ...reading,
        app: c.Labels[LABEL.app],
        dyno: c.Labels[LABEL.dyno],
        processType: c.Labels[LABEL.process],
        retention,
      });
    }
    const live = new Set(running.map((c) => c.Id));
    for (const id of [...this.since.keys()]) if (!live.has(id)) this.since.delete(id);
    return samples;
  }
}
