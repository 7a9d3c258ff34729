/**
 * The registry Dynoform runs on a Swarm when the stack names none (`dynoform:registry` unset):
 * Debian's `docker-registry` (scripts/cluster/registry/) as the service `dynoform-registry` on the
 * manager, its port 5000 published in host mode, its storage a volume there. Images reach it
 * through the manager, never from this machine: the image is loaded into the manager's engine
 * (`docker save | docker load` over the API) and the manager pushes it. So this machine needs no
 * registry settings; the nodes pull `<manager address>:5000/…` over plain HTTP, which each node's
 * daemon must allow (`"insecure-registries"`), unless the ingress routing mesh works.
 *
 * The service outlives any one app (it holds every app's images on the cluster); it and its
 * volume carry `dynoform.role=registry`, which is how to find and remove them.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type Docker from "dockerode";
import { docker } from "../docker/docker-client";
import { buildImage, imageExists } from "../docker/image-build";
import { LABEL } from "../docker/labels";

/** The service's name on the manager. */
export const CLUSTER_REGISTRY = "dynoform-registry";
/** Where it listens on the manager (host mode: on the manager's own addresses). */
export const CLUSTER_REGISTRY_PORT = 5000;
const PULL_LABEL = "dynoform.registry-pull";

/** `scripts/cluster/registry/` ships beside `dist/`; this module runs from `dist/provider/engine/` or, in tests, `provider/engine/`. */
function registryDir(): string {
  const candidates = [1, 2, 3].map((up) => path.resolve(__dirname, ...Array(up).fill(".."), "scripts", "cluster", "registry"));
  const found = candidates.find((d) => fs.existsSync(path.join(d, "Dockerfile")));
  if (!found) throw new Error(`the cluster registry image's folder is missing (looked in ${candidates.join(", ")}); reinstall dynoform`);
  return found;
}

/** The image's tag, by its folder's content (as scripts/setup.sh and the test cluster tag it). */
function registryImageTag(): string {
  const dir = registryDir();
  const h = crypto.createHash("sha256");
  for (const f of fs.readdirSync(dir).sort()) h.update(fs.readFileSync(path.join(dir, f)));
  return `dynoform/cluster-registry:${h.digest("hex").slice(0, 12)}`;
}

/** The service spec (pure): one registry on the manager node `nodeId`, where its image was loaded. */
export function clusterRegistrySpec(image: string, nodeId: string, pull: string) {
  const labels = { [LABEL.managed]: "true", [LABEL.role]: "registry" };
  return {
    Name: CLUSTER_REGISTRY,
    Labels: { ...labels, [PULL_LABEL]: pull },
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Labels: labels,
        Mounts: [
          {
            Type: "volume",
            Source: CLUSTER_REGISTRY,
            Target: "/var/lib/docker-registry",
            VolumeOptions: { Labels: labels },
          },
        ],
      },
      Placement: { Constraints: [`node.id==${nodeId}`] },
      RestartPolicy: { Condition: "any", Delay: 1_000_000_000 },
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: {
      Mode: "dnsrr",
      Ports: [{ Protocol: "tcp", TargetPort: 5000, PublishedPort: CLUSTER_REGISTRY_PORT, PublishMode: "host" }],
    },
  };
}

/** Loads a local image into the manager's engine unless it has it (by image ID); returns the ID. */
export async function loadIntoManager(manager: Docker, localRef: string): Promise<string> {
  const id = (await docker().getImage(localRef).inspect()).Id;
  const has = await manager
    .getImage(id)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  if (!has) {
    const tar = await docker().getImage(localRef).get();
    const out = await manager.loadImage(tar);
    await new Promise((resolve, reject) => manager.modem.followProgress(out, (err, res) => (err ? reject(err) : resolve(res))));
  }
  return id;
}

async function untilRunning(manager: Docker, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let why = "";
  while (Date.now() < end) {
    const tasks = await manager.listTasks({ filters: { service: [CLUSTER_REGISTRY] } });
    if (tasks.some((t) => t.Status?.State === "running" && t.DesiredState === "running")) return;
    why = tasks.find((t) => t.Status?.Err)?.Status?.Err ?? why;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(
    `the cluster's registry (service ${CLUSTER_REGISTRY} on the manager) did not start${why ? `: ${why}` : ""}. Fix: see \`docker service ps ${CLUSTER_REGISTRY} --no-trunc\` (port ${CLUSTER_REGISTRY_PORT} must be free on the manager), or give a registry with dynoform:registry`,
  );
}

/**
 * The cluster's registry, started when missing (idempotent: found by its label); returns the
 * address the nodes pull from: `pullOverride` (dynoform:registryPullAddress) or the manager's.
 */
export async function ensureClusterRegistry(manager: Docker, pullOverride = ""): Promise<string> {
  const found = await manager.listServices({ filters: { label: [`${LABEL.role}=registry`] } });
  const existing = found.find((s) => s.Spec?.Name === CLUSTER_REGISTRY);
  if (existing) {
    await untilRunning(manager);
    return pullOverride || (existing.Spec?.Labels?.[PULL_LABEL] ?? "");
  }
  const tag = registryImageTag();
  if (!(await imageExists(tag))) await buildImage(registryDir(), tag, { [LABEL.managed]: "true", [LABEL.component]: "registry" });
  await loadIntoManager(manager, tag);
  const swarm = (await manager.info()).Swarm as { NodeID: string; NodeAddr: string };
  const pull = pullOverride || `${swarm.NodeAddr}:${CLUSTER_REGISTRY_PORT}`;
  await manager.createService(clusterRegistrySpec(tag, swarm.NodeID, pull) as unknown as Docker.CreateServiceOptions).catch(async (e) => {
    // Two apps of one stack start it at once: the other one's is as good.
    const again = await manager.listServices({ filters: { name: [CLUSTER_REGISTRY] } });
    if (!again.some((s) => s.Spec?.Name === CLUSTER_REGISTRY)) throw e;
  });
  await untilRunning(manager);
  return pull;
}

/**
 * Pushes a local image to the cluster's registry through the manager (loaded there, tagged with
 * the pull address, pushed by the manager's engine); returns `<pull>/<repository>@sha256:…`.
 */
export async function pushThroughManager(
  manager: Docker,
  localRef: string,
  repository: string,
  tag: string,
  pull: string,
): Promise<string> {
  const id = await loadIntoManager(manager, localRef);
  const ref = `${pull}/${repository}`;
  await manager.getImage(id).tag({ repo: ref, tag });
  let last = "";
  // The registry may take a moment to listen after its task starts.
  for (let attempt = 0; attempt < 20; attempt++) {
    const stream = await manager.getImage(`${ref}:${tag}`).push({ tag });
    const events = await new Promise<Array<{ error?: string; aux?: { Digest?: string } }>>((resolve, reject) =>
      manager.modem.followProgress(stream, (err, out) => (err ? reject(err) : resolve(out))),
    );
    const digest = events.find((e) => e.aux?.Digest)?.aux?.Digest;
    if (digest) return `${ref}@${digest}`;
    last = events.find((e) => e.error)?.error ?? "no digest";
    if (/http: server gave HTTP response to HTTPS client|x509|certificate/i.test(last)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(
    `Pushing ${localRef} to the cluster's registry at ${pull} (through the manager) failed: ${last}. Fix: every node's Docker daemon, the manager's too, must pull from ${pull} over plain HTTP: add "${pull}" to "insecure-registries" in /etc/docker/daemon.json and restart dockerd; or give a registry with TLS as dynoform:registry`,
  );
}
