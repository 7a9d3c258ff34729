/**
 * The dyno manager on a Swarm (provider/dyno-manager/swarm-dyno-manager.ts) as a service: one
 * replica on a manager node, with that node's Docker socket, the single engine's manager image
 * (pushed to the cluster's registry) with another entry point. The Formation provider starts it
 * with the first Eco formation and removes it when no Eco service is left.
 */
import type Docker from "dockerode";
import type { SwarmEngine } from "../../sdk/engine";
import { ENV } from "../../sdk/settings";
import { LABEL, labelFilter } from "../docker/labels";
import { DYNO_MANAGER, ensureDynoManagerImage } from "../formations/dyno-manager-controller";
import { clusterDocker } from "./cluster-client";
import { pushImage, registryAuth } from "./registry-push";
import { waitNoTasks } from "./swarm-router";

/** The manager's image as built here (its tag names its code): a new one replaces the service's. */
const IMAGE_LABEL = "dynoform.manager-image";

/** The service's spec (Docker Engine API 1.41 `ServiceSpec`), pure. */
export function swarmDynoManagerSpec(image: string, localTag: string, env: string[]) {
  const labels = { [LABEL.managed]: "true", [LABEL.role]: "dyno-manager" };
  return {
    Name: DYNO_MANAGER,
    Labels: { ...labels, [IMAGE_LABEL]: localTag },
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Command: ["node", "/opt/dynoform/dyno-manager/swarm-dyno-manager.js"],
        Env: env,
        Labels: labels,
        // A manager node's API sees (and scales) every node's services.
        Mounts: [{ Type: "bind", Source: "/var/run/docker.sock", Target: "/var/run/docker.sock" }],
        Init: true,
      },
      Placement: { Constraints: ["node.role==manager"] },
      RestartPolicy: { Condition: "any", Delay: 1_000_000_000 },
    },
    Mode: { Replicated: { Replicas: 1 } },
  };
}

/** Starts the manager service unless it runs this code already. */
export async function ensureSwarmDynoManager(engine: SwarmEngine): Promise<void> {
  const d = clusterDocker(engine);
  const localTag = await ensureDynoManagerImage();
  const env = [`${ENV.timeScale}=${process.env[ENV.timeScale] ?? "1"}`];
  const existing = await d
    .getService(DYNO_MANAGER)
    .inspect()
    .catch(() => undefined);
  if (existing && existing.Spec.Labels?.[IMAGE_LABEL] === localTag) return;
  const image = await pushImage(localTag, "dynoform/dyno-manager", localTag.split(":").pop() ?? "latest", engine.registry);
  const spec = swarmDynoManagerSpec(image, localTag, env);
  const auth = registryAuth(engine.registry);
  if (existing)
    await d.getService(DYNO_MANAGER).update({ version: existing.Version.Index, ...spec, ...(auth ? { authconfig: auth } : {}) });
  else
    await d.createService({ ...spec, ...(auth ? { authconfig: auth } : {}) } as unknown as Docker.CreateServiceOptions).catch((e) => {
      // Another Formation of the same `up` created it meanwhile.
      if ((e as { statusCode?: number }).statusCode !== 409) throw e;
    });
}

/** Removes the manager service once no Eco service is left on the cluster (`leaving`: the app going now). */
export async function removeSwarmDynoManagerIfIdle(engine: SwarmEngine, leaving?: string): Promise<void> {
  const d = clusterDocker(engine);
  const eco = await d.listServices({ filters: { label: [`${LABEL.role}=dyno`, LABEL.sleepAfter] } });
  if (eco.some((s) => s.Spec?.Labels?.[LABEL.app] !== leaving)) return;
  const found = await d.listServices({ filters: labelFilter({ [LABEL.role]: "dyno-manager" }) });
  for (const s of found) {
    await d
      .getService(s.ID)
      .remove()
      .catch(() => undefined);
    await waitNoTasks(d, s.ID);
  }
}
