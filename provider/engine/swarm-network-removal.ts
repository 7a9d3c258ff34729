/**
 * Removing an overlay network on a Swarm. The manager refuses while a task still holds an endpoint
 * on it, and it frees a removed service's endpoints a moment after that service's tasks are gone:
 * a single try right after removing a service sometimes fails, and the network is then left on
 * every node. So the removal is tried again until it goes (or is not there).
 */
import type Docker from "dockerode";
import { isNotFound } from "../docker/docker-client";

/** `owner` names the resource in the error (`App "api"`, `Space "p"`, `Router "dynoform-router"`). */
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
