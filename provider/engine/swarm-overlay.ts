/**
 * Overlay networks on a Swarm: an app's or a space's (its dynos' and routers'), made and removed
 * on the manager.
 */
import type Docker from "dockerode";
import { isNotFound } from "../docker/docker-client";
import { LABEL } from "../docker/labels";

/**
 * An attachable overlay on the manager unless it is there, labelled as Dynoform's. Shield: no
 * way out of the cluster, and traffic between nodes encrypted (the Space checked that the nodes can).
 */
export async function ensureSwarmOverlay(d: Docker, name: string, labels: Record<string, string>, shield: boolean): Promise<void> {
  const found = await d.listNetworks({ filters: { name: [name] } });
  if (found.some((n) => n.Name === name)) return;
  await d.createNetwork({
    Name: name,
    Driver: "overlay",
    Attachable: true,
    CheckDuplicate: true,
    Labels: { [LABEL.managed]: "true", ...labels },
    ...(shield ? { Internal: true, Options: { encrypted: "" } } : {}),
  });
}

/**
 * Removes an overlay. The manager refuses while a task still holds an endpoint on it, and it frees
 * a removed service's endpoints a moment after that service's tasks are gone: a single try right
 * after removing a service sometimes fails, and the network is then left on every node. So the
 * removal is tried again until it goes (or is not there). `owner` names the resource in the error
 * (`App "api"`, `Space "p"`, `Router "dynoform-router"`).
 */
export async function removeSwarmNetwork(d: Docker, network: string, owner: string, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      await d.getNetwork(network).remove();
      return;
    } catch (e) {
      if (isNotFound(e)) return;
      if (Date.now() > end)
        throw new Error(
          `${owner}: could not remove network ${network} on the Swarm: ${(e as Error).message}. Fix: remove the services still attached (docker network inspect ${network} on the manager) and run destroy again`,
        );
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
