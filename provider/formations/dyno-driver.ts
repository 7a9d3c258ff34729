import type Docker from "dockerode";
import { docker, ignoreNotFound, isConflictOrNoop } from "../docker/docker-client";
import type { ObservedDyno } from "./formation-plan";
import { dynoName } from "./formation-plan";
import { LABEL, labelFilter } from "../docker/labels";
import { markStoppedByDynoform } from "./dyno-manager-controller";
import { hardeningFor } from "./dyno-hardening";
import { getDynoSize } from "../../sdk/dyno-sizes";
import { preloadFor } from "./preload-decision";
import { preloadArchive } from "../dyno-manager/node-preload";

/** Everything needed to run one dyno; the Formation provider fills it from the app's release. */
export interface DynoSpec {
  app: string;
  processType: string;
  index: number;
  release: string;
  size: string;
  image: string;
  /** Shell command from the Procfile; undefined runs the image's own CMD. */
  command?: string;
  env: Record<string, string>;
  network: string;
  /** Extra DNS names for this dyno on its network (the router finds web dynos by one of them). */
  aliases: string[];
  webPort: number;
  /** `memoryBytes` is the kernel's limit (the R15 threshold); `memoryQuotaBytes` the size's RAM (R14 above it; default: the limit). */
  limits: { memoryBytes: number; memoryQuotaBytes?: number; cpuShares: number; pidsLimit: number };
  /** Eco only: seconds without a request before the app's Eco dynos sleep (Heroku: 1800). */
  sleepAfterSeconds?: number;
  /** A web dyno of a preboot formation: the dyno manager's daily cycling starts its successor first. */
  preboot?: boolean;
  /** The app's Space: the dyno also joins its network under its `.app.localspace` names. */
  space?: { name: string; shield: boolean; network: string; aliases: string[]; env: Record<string, string> };
}

/** Heroku gives a dyno 30 s between SIGTERM and SIGKILL. */
export const STOP_GRACE_SECONDS = 30;

/** `<app>.<type>.<n>`, e.g. `api.web.2`: the container's name. */
export function containerName(app: string, processType: string, index: number): string {
  return `${app}.${processType}.${index}`;
}

export async function observeDynos(app: string): Promise<Array<ObservedDyno & { name: string }>> {
  const list = await docker().listContainers({ all: true, filters: labelFilter({ [LABEL.role]: "dyno", [LABEL.app]: app }) });
  return list.map((c) => {
    const [processType, index] = (c.Labels[LABEL.dyno] ?? ".0").split(".");
    return {
      id: c.Id,
      name: (c.Names[0] ?? "").replace(/^\//, ""),
      processType: c.Labels[LABEL.process] ?? processType,
      index: Number(index),
      release: c.Labels[LABEL.release] ?? "",
      size: c.Labels[LABEL.size] ?? "",
      running: c.State === "running" || c.State === "restarting",
    };
  });
}

/**
 * An image's inspection, asked of Docker once per image ID and process: every dyno of a release
 * shares its image, and with 30 dynos starting at once the same question was 30 requests to
 * dockerd while it was busiest. Only immutable IDs (`sha256:…`) are kept; a tag may move.
 */
const inspected = new Map<string, Promise<Docker.ImageInspectInfo>>();
function inspectImage(image: string): Promise<Docker.ImageInspectInfo> {
  if (!image.startsWith("sha256:")) return docker().getImage(image).inspect();
  let info = inspected.get(image);
  if (!info) {
    info = docker().getImage(image).inspect();
    inspected.set(image, info);
    info.catch(() => inspected.delete(image));
  }
  return info;
}

/**
 * Creates and starts a dyno. `name` overrides the container's name: a preboot starts the new
 * release's `web.1` as `<app>.web.1.next` beside the old one, and renames it when it goes live.
 */
export async function startDyno(spec: DynoSpec, name = containerName(spec.app, spec.processType, spec.index)): Promise<Docker.Container> {
  const env: Record<string, string> = { ...spec.env, ...spec.space?.env, DYNO: dynoName(spec.processType, spec.index) };
  if (spec.processType === "web") env.PORT = String(spec.webPort);
  const image = await inspectImage(spec.image);
  const hardening = hardeningFor(image.Config?.User);
  // Language runtime metrics: Node.js images on sizes that include them, nothing for the rest.
  const preload = preloadFor(image.Config?.Labels, spec.size, env);
  if (preload) Object.assign(env, preload.env);
  const options: Docker.ContainerCreateOptions = {
    name,
    Image: spec.image,
    User: hardening.User,
    Cmd: spec.command ? ["/bin/sh", "-c", spec.command] : undefined,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [LABEL.managed]: "true",
      [LABEL.role]: "dyno",
      [LABEL.app]: spec.app,
      [LABEL.process]: spec.processType,
      [LABEL.dyno]: dynoName(spec.processType, spec.index),
      [LABEL.release]: spec.release,
      [LABEL.size]: spec.size,
      [LABEL.memoryQuota]: String(Math.round((spec.limits.memoryQuotaBytes ?? spec.limits.memoryBytes) / 1024 / 1024)),
      [LABEL.metrics]: getDynoSize(spec.size)?.features.metricsRetention ?? "none",
      ...preload?.labels,
      ...(spec.sleepAfterSeconds ? { [LABEL.sleepAfter]: String(spec.sleepAfterSeconds) } : {}),
      ...(spec.preboot ? { [LABEL.preboot]: "true" } : {}),
      ...(spec.space ? { [LABEL.space]: spec.space.name, [LABEL.shield]: String(spec.space.shield) } : {}),
    },
    StopSignal: "SIGTERM",
    StopTimeout: STOP_GRACE_SECONDS,
    HostConfig: {
      ...hardening.HostConfig,
      // docker-init as PID 1 passes SIGTERM on to the process, as Heroku signals every process.
      Init: true,
      Memory: spec.limits.memoryBytes,
      MemorySwap: spec.limits.memoryBytes,
      CpuShares: spec.limits.cpuShares,
      PidsLimit: spec.limits.pidsLimit,
      // Docker would restart a crashed dyno in place, keeping the files it wrote; the dyno manager
      // starts a fresh container instead, as Heroku does (provider/dyno-manager.ts).
      RestartPolicy: { Name: "no" },
      NetworkMode: spec.network,
    },
    NetworkingConfig: {
      EndpointsConfig: { [spec.network]: { Aliases: spec.aliases } },
    },
  };
  const container = await docker()
    .createContainer(options)
    .catch(async (e) => {
      // A leftover with the same name (crashed update, manual `docker stop`) blocks the create:
      // it goes, and the create is tried again. Asked only on a conflict, not before every start.
      if (!isConflictOrNoop(e)) throw e;
      await docker().getContainer(name).remove({ force: true }).catch(ignoreNotFound);
      return docker().createContainer(options);
    });
  if (spec.space)
    await docker()
      .getNetwork(spec.space.network)
      .connect({ Container: container.id, EndpointConfig: { Aliases: spec.space.aliases } });
  // Into this container only, before it starts: the image stays the app's own.
  if (preload) await container.putArchive(preloadArchive(), { path: "/" });
  await container.start();
  return container;
}

/**
 * SIGTERM, up to 30 s for the dyno to exit, SIGKILL, then the container is removed. Marked first
 * for the dyno manager, which restarts any dyno that stops unasked as a crash.
 */
export async function stopDyno(id: string): Promise<void> {
  await markStoppedByDynoform([id]);
  const c = docker().getContainer(id);
  await c.stop({ t: STOP_GRACE_SECONDS }).catch(() => undefined);
  await c.remove({ force: true }).catch(ignoreNotFound);
}

/** Renames a dyno's container (the router routes to the plain `<app>.web.<n>` names only). */
export async function renameDyno(id: string, name: string): Promise<void> {
  await docker().getContainer(id).rename({ name });
}
