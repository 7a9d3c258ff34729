/**
 * The ACME responder of a cluster router: a one-task service on the router's own overlay
 * network, running the router image with a config that answers the pending challenges
 * (acme-responder-config.ts). Every router replica forwards challenge requests to it, so the CA
 * may reach any edge node. It exists only while an order runs.
 */
import type Docker from "dockerode";
import type { SwarmEngine } from "../../sdk/engine";
import { LABEL } from "../docker/labels";
import { acmeResponderName, renderAcmeResponderConfig } from "./acme-responder-config";
import { clusterDocker } from "./cluster-client";
import { ensureConfig } from "./swarm-configs";
import { routerImage, waitNoTasks } from "./swarm-router";
import { observeSwarmTls } from "./swarm-tls-observe";

/** Makes the responder answer exactly the store's pending challenges; removes it when there are none. */
export async function syncAcmeResponder(engine: SwarmEngine, router: string): Promise<void> {
  const d = clusterDocker(engine);
  const name = acmeResponderName(router);
  const { state } = await observeSwarmTls(d, router);
  const existing = await d
    .getService(name)
    .inspect()
    .catch(() => undefined);
  if (state.challenges.length === 0) {
    if (existing) {
      await d.getService(name).remove();
      await waitNoTasks(d, existing.ID);
    }
    await removeResponderConfigs(d, name, undefined);
    return;
  }
  const config = await ensureConfig(d, name, "cfg", renderAcmeResponderConfig(state.challenges));
  const labels = { [LABEL.managed]: "true", [LABEL.role]: "acme-responder", [LABEL.router]: name };
  const image =
    existing?.Spec.TaskTemplate.ContainerSpec.Image ??
    (await d.getService(router).inspect()).Spec.TaskTemplate.ContainerSpec.Image ??
    (await routerImage(engine));
  const spec = {
    Name: name,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: {
        Image: image,
        Labels: labels,
        Configs: [{ File: { Name: "/etc/haproxy/haproxy.cfg", UID: "0", GID: "0", Mode: 0o444 }, ...config }],
        StopGracePeriod: 1_000_000_000,
      },
      Networks: [{ Target: name }],
      RestartPolicy: { Condition: "any", Delay: 1_000_000_000 },
    },
    Mode: { Replicated: { Replicas: 1 } },
    EndpointSpec: { Mode: "dnsrr" },
    // The new challenge's answerer runs before the old one stops: no moment without one.
    UpdateConfig: { Parallelism: 1, Order: "start-first" },
  };
  if (!existing) await d.createService(spec as unknown as Docker.CreateServiceOptions);
  else if (existing.Spec.TaskTemplate.ContainerSpec.Configs?.[0]?.ConfigName !== config.ConfigName)
    await d.getService(name).update({ version: existing.Version.Index, ...spec });
  await removeResponderConfigs(d, name, config.ConfigName);
}

/** The responder's old configs (Swarm refuses to remove the one in use). */
async function removeResponderConfigs(d: Docker, name: string, keep: string | undefined): Promise<void> {
  const configs = await d.listConfigs({ filters: { label: [`${LABEL.router}=${name}`] } });
  for (const c of configs)
    if (c.Spec?.Name !== keep)
      await d
        .getConfig(c.ID)
        .remove()
        .catch(() => undefined);
}
