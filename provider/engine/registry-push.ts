import { docker } from "../docker/docker-client";
import type { SwarmRegistry } from "../../sdk/engine";
import { clusterDocker } from "./cluster-client";
import { ensureClusterRegistry, pushThroughManager } from "./cluster-registry";

/**
 * Pushes a local image to the cluster's registry and returns the reference the nodes pull, by
 * digest (`<pull address>/<repository>@sha256:…`): a service pinned to a digest runs exactly
 * this build on every node, and a changed digest is what makes a new release.
 */
export async function pushImage(localRef: string, repository: string, tag: string, registry: SwarmRegistry): Promise<string> {
  if (registry.onCluster) {
    const manager = clusterDocker({ kind: "swarm", ...registry.onCluster, registry });
    return pushThroughManager(manager, localRef, repository, tag, await ensureClusterRegistry(manager, registry.pull));
  }
  const pushRef = `${registry.push}/${repository}`;
  await docker().getImage(localRef).tag({ repo: pushRef, tag });
  const image = docker().getImage(`${pushRef}:${tag}`);
  const authconfig = registry.username
    ? { username: registry.username, password: registry.password ?? "", serveraddress: registry.push }
    : {};
  const stream = await image.push({ tag, authconfig });
  const events = await new Promise<Array<{ error?: string; aux?: { Digest?: string } }>>((resolve, reject) =>
    docker().modem.followProgress(stream, (err, out) => (err ? reject(err) : resolve(out))),
  );
  const failed = events.find((e) => e.error);
  if (failed)
    throw new Error(
      `Pushing ${localRef} to the registry ${registry.push} failed: ${failed.error}. Fix: check stack config dynoform:registry (and dynoform:registryUsername/registryPassword), and that this machine's Docker Engine trusts the registry (TLS, or "insecure-registries")`,
    );
  const digest = events.find((e) => e.aux?.Digest)?.aux?.Digest;
  if (!digest) throw new Error(`Pushing ${localRef} to the registry ${registry.push}: the registry returned no digest`);
  // The local tag was only the way to push; the image stays under its own name.
  await docker()
    .getImage(`${pushRef}:${tag}`)
    .remove({ noprune: true })
    .catch(() => undefined);
  return `${registry.pull}/${repository}@${digest}`;
}

/** The registry login the manager hands to the nodes with a service (`X-Registry-Auth`), if any. */
export function registryAuth(registry: SwarmRegistry): { username: string; password: string; serveraddress: string } | undefined {
  return registry.username ? { username: registry.username, password: registry.password ?? "", serveraddress: registry.pull } : undefined;
}
