/**
 * The router on a Swarm: HAProxy as a global service on the nodes labelled `dynoform.edge=true`,
 * its HTTP port published in host mode on each (no IPVS here, so no ingress routing mesh). The
 * config comes from what the manager holds (the apps' overlay networks and their labels) and is
 * delivered as a Swarm config; only an app added or removed changes it (the router restarts
 * then, node by node), never a dyno: dynos are found through `tasks.<app>-web`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type Docker from "dockerode";
import type { SwarmEngine } from "../../sdk/engine";
import { LABEL, labelFilter } from "../docker/labels";
import { renderErrorFile, ROUTER_ERRORS, errorFileName } from "../router/router-errors";
import { ERRORS_DIR, WAKE_SCRIPT } from "../router/router-config";
import { ensureRouterImage, routerDir } from "../router/router-image";
import { clusterDocker } from "./cluster-client";
import { pushImage } from "./registry-push";
import { spaceRouterNetworkName } from "../spaces/space-network";
import { type SpaceRouterRules, spaceRouterLabels, spaceRouterRulesOf } from "../spaces/space-router-rules";
import { renderSwarmRouterConfig, SPACE_ROUTER_COMMAND, type SwarmRoute } from "./swarm-router-config";
import { acmeResponderName } from "./acme-responder-config";
import { ensureConfig } from "./swarm-configs";
import { removeSwarmNetwork } from "./swarm-overlay";
import { routerTlsParts } from "./swarm-tls-observe";

/** Nodes the router runs on carry this label (`docker node update --label-add dynoform.edge=true <node>`). */
export const EDGE_LABEL = "dynoform.edge";

export interface SwarmRouter {
  name: string;
  httpPort: number;
  /** Published in host mode on each edge node for custom domains' certificates (to the router's 443). */
  httpsPort?: number;
  /** A Space's own router: kept while the space exists (even with no app), with the space's rules. */
  space?: SpaceRouterRules;
}

/** What the router serves, from the app networks' labels on the manager. */
async function observeRoutes(d: Docker, router: string): Promise<Array<SwarmRoute & { network: string }>> {
  const networks = await d.listNetworks({ filters: labelFilter({ [LABEL.role]: "app-network", [LABEL.router]: router }) });
  // Eco web services carry their idle time: their apps sleep, and the router wakes them.
  const ecoWeb = await d.listServices({ filters: { label: [`${LABEL.role}=dyno`, `${LABEL.process}=web`, LABEL.sleepAfter] } });
  const sleeping = new Set(ecoWeb.map((s) => s.Spec?.Labels?.[LABEL.app]));
  return networks
    .map((n) => ({
      app: n.Labels?.[LABEL.app] ?? "",
      hostnames: (n.Labels?.[LABEL.hostname] ?? "").split(",").filter(Boolean),
      webPort: Number(n.Labels?.[LABEL.webPort] ?? 5000),
      network: n.Name,
      ...(sleeping.has(n.Labels?.[LABEL.app]) ? { sleeps: true } : {}),
    }))
    .filter((r) => r.app);
}

/** The router image as the nodes pull it: built here when missing, pushed to the cluster's registry. */
export async function routerImage(engine: SwarmEngine): Promise<string> {
  const local = await ensureRouterImage(process.env.DYNOFORM_ROUTER_IMAGE || undefined);
  const tag = local.split(":").pop() ?? "latest";
  return pushImage(local, "dynoform/router", tag, engine.registry);
}

const turns = new Map<string, Promise<unknown>>();

/**
 * One change at a time per key (a router's name) in this process: Pulumi runs a program's dynamic
 * resources in one provider process, and two apps leaving one router at once would each keep the
 * other's network in the router (each reads the other's as still there).
 */
export function routerTurn<T>(key: string, change: () => Promise<T>): Promise<T> {
  const run = (turns.get(key) ?? Promise.resolve()).then(change, change);
  turns.set(
    key,
    run.catch(() => undefined),
  );
  return run;
}

/**
 * Another sync of the same router got there first: Swarm refuses an update made from an old
 * version, or a config or secret this sync found was removed as unused by the other's clean-up
 * (two Domains deleted in one `destroy`). Reading again and retrying makes it anew.
 */
const raced = (e: unknown) => /out of sequence|update out of|(config|secret) not found/i.test(String((e as Error)?.message));

/**
 * Makes the router service match the apps on the manager: created with the first app, updated
 * when apps come or go, removed with the last (with its configs).
 */
export async function syncSwarmRouter(engine: SwarmEngine, router: SwarmRouter, leaving?: string): Promise<void> {
  const d = clusterDocker(engine);
  for (let attempt = 0; ; attempt++) {
    try {
      await syncOnce(d, engine, router, leaving);
      break;
    } catch (e) {
      if (!raced(e) || attempt >= 5) throw e;
    }
  }
  await removeUnusedConfigs(d, router.name);
}

/** `leaving`: an app being removed, whose network the router must leave before it can go. */
async function syncOnce(d: Docker, engine: SwarmEngine, router: SwarmRouter, leaving?: string): Promise<void> {
  const existing = await d
    .getService(router.name)
    .inspect()
    .catch(() => undefined);
  // Read after the service's version: an app's sync that lands in between then fails ours as out of
  // sequence (and ours reads again) instead of being overwritten by routes read before it.
  const routes = (await observeRoutes(d, router.name)).filter((r) => r.app !== leaving);
  const space = router.space ?? spaceRouterRulesOf(existing?.Spec.Labels);
  if (!space && !existing) await refuseRulelessSpaceRouter(d, router.name);
  if (routes.length === 0 && !space) {
    if (existing) {
      await d.getService(router.name).remove();
      await waitNoTasks(d, existing.ID);
    }
    await removeSwarmNetwork(d, acmeResponderName(router.name), `Router "${router.name}"`);
    return;
  }
  const edges = (await d.listNodes()).filter((n) => n.Spec?.Labels?.[EDGE_LABEL] === "true");
  if (edges.length === 0)
    throw new Error(
      `Router "${router.name}": no node of the Swarm is labelled ${EDGE_LABEL}=true, so the router has nowhere to run. Fix: docker node update --label-add ${EDGE_LABEL}=true <node> (a node your DNS points the apps' hostnames at)`,
    );
  const tls = await routerTlsParts(d, router, routes);
  const config = await ensureConfig(d, router.name, "cfg", renderSwarmRouterConfig(tls.routes, router.httpPort, tls.extras, space));
  const h14 = await ensureConfig(d, router.name, "h14", renderErrorFile(ROUTER_ERRORS.H14));
  const file = (name: string) => ({ Name: name, UID: "0", GID: "0", Mode: 0o444 });
  // Eco apps: the script that holds a request while the app wakes, and the page after 75 s (H20).
  const wakeFiles = routes.some((r) => r.sleeps)
    ? [
        {
          File: file(WAKE_SCRIPT),
          ...(await ensureConfig(d, router.name, "wake", fs.readFileSync(path.join(routerDir(), "wake.lua"), "utf8"))),
        },
        {
          File: file(`${ERRORS_DIR}/${errorFileName(ROUTER_ERRORS.H20)}`),
          ...(await ensureConfig(d, router.name, "h20", renderErrorFile(ROUTER_ERRORS.H20))),
        },
      ]
    : [];
  const networks = [...(space ? [spaceRouterNetworkName(space.name)] : []), ...routes.map((r) => r.network), tls.network].sort();
  const tlsMounts = JSON.stringify([tls.configs.map((c) => c.ConfigName), tls.secrets.map((c) => c.SecretName), tls.ports]);
  const spec = {
    Name: router.name,
    Labels: {
      [LABEL.managed]: "true",
      [LABEL.role]: "router",
      [LABEL.router]: router.name,
      "dynoform.router-config": config.ConfigName,
      ...spaceRouterLabels(space),
      "dynoform.router-tls": tlsMounts,
    },
    TaskTemplate: {
      ContainerSpec: {
        Image: existing ? existing.Spec.TaskTemplate.ContainerSpec.Image : await routerImage(engine),
        Labels: { [LABEL.managed]: "true", [LABEL.role]: "router", [LABEL.router]: router.name, ...spaceRouterLabels(space) },
        ...(space ? { Command: SPACE_ROUTER_COMMAND } : {}),
        Configs: [
          { File: file("/etc/haproxy/haproxy.cfg"), ...config },
          { File: file(`${ERRORS_DIR}/${errorFileName(ROUTER_ERRORS.H14)}`), ...h14 },
          ...tls.configs,
          ...wakeFiles,
        ],
        Secrets: tls.secrets,
        // The image's STOPSIGNAL (SIGUSR1): HAProxy stops listening and finishes its requests.
        StopGracePeriod: 30 * 1_000_000_000,
      },
      Placement: { Constraints: [`node.labels.${EDGE_LABEL}==true`] },
      Networks: networks.map((n) => ({ Target: n })),
      RestartPolicy: { Condition: "any", Delay: 1_000_000_000 },
    },
    Mode: { Global: {} },
    EndpointSpec: {
      Mode: "dnsrr",
      Ports: [{ Protocol: "tcp", TargetPort: router.httpPort, PublishedPort: router.httpPort, PublishMode: "host" }, ...tls.ports],
    },
    UpdateConfig: { Parallelism: 1, Order: "stop-first" },
  };
  if (!existing) {
    await d.createService(spec as unknown as Docker.CreateServiceOptions);
    return;
  }
  const same =
    existing.Spec.Labels?.["dynoform.router-config"] === config.ConfigName &&
    existing.Spec.Labels?.["dynoform.router-tls"] === tlsMounts &&
    JSON.stringify((existing.Spec.TaskTemplate.Networks ?? []).map((n: { Target: string }) => n.Target).sort()) ===
      JSON.stringify(await networkIds(d, networks)) &&
    existing.Spec.EndpointSpec?.Ports?.[0]?.PublishedPort === router.httpPort;
  if (same) return;
  await d.getService(router.name).update({ version: existing.Version.Index, ...spec });
}

/**
 * A space's router removed by hand must not come back from an app's sync without the space's
 * rules (trusted ranges): the space's edge network names its router, so that case is refused.
 */
async function refuseRulelessSpaceRouter(d: Docker, router: string): Promise<void> {
  // The router's ACME responder network is a router network too, with no space.
  const claimed = await d.listNetworks({ filters: labelFilter({ [LABEL.role]: "router-network", [LABEL.router]: router }) });
  const space = claimed.find((n) => n.Labels?.[LABEL.space])?.Labels?.[LABEL.space];
  if (space)
    throw new Error(
      `Router "${router}" of Space "${space}" is missing on the Swarm, and an app cannot make it again without the space's rules (trusted IP ranges). Fix: run \`pulumi up --refresh\`: the Space makes its router again`,
    );
}

/** Removes a router service with its configs, whatever it serves (a space's router, with its space). */
export async function removeSwarmRouter(engine: SwarmEngine, router: string): Promise<void> {
  const d = clusterDocker(engine);
  const existing = await d
    .getService(router)
    .inspect()
    .catch(() => undefined);
  if (existing) {
    await d
      .getService(router)
      .remove()
      .catch(() => undefined);
    await waitNoTasks(d, existing.ID);
  }
  await removeSwarmNetwork(d, acmeResponderName(router), `Router "${router}"`);
  await removeUnusedConfigs(d, router);
}

/** Waits until a removed service's tasks are gone (they hold its configs and networks until then). */
export async function waitNoTasks(d: Docker, serviceId: string, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const tasks = await d.listTasks().catch(() => []);
    if (!tasks.some((t) => t.ServiceID === serviceId)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Waits until the router's rolling update is done on every edge node (custom domains and
 * certificates are served by all replicas only then).
 */
export async function waitRolledOut(d: Docker, router: string, timeoutMs = 180_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await d
      .getService(router)
      .inspect()
      .catch(() => undefined);
    if (!s) return;
    const state = s.UpdateStatus?.State;
    if (state === "paused" || state === "rollback_completed")
      throw new Error(
        `Router "${router}": Swarm stopped its update (${state}: ${s.UpdateStatus?.Message ?? ""}). Fix: see docker service ps ${router} on the manager, then run \`pulumi up\` again`,
      );
    // Right after an update Swarm may not have marked it yet: done means every running task has the new mounts.
    const mounts = (spec: { ContainerSpec?: { Configs?: Array<{ ConfigName: string }>; Secrets?: Array<{ SecretName: string }> } }) =>
      JSON.stringify([spec?.ContainerSpec?.Configs?.map((c) => c.ConfigName), spec?.ContainerSpec?.Secrets?.map((c) => c.SecretName)]);
    if (state !== "updating") {
      const tasks = await d.listTasks({ filters: { service: [router], "desired-state": ["running"] } });
      const edges = (await d.listNodes()).filter((n) => n.Spec?.Labels?.[EDGE_LABEL] === "true" && n.Status?.State === "ready");
      if (
        tasks.length >= edges.length &&
        tasks.every((t) => t.Status?.State === "running" && mounts(t.Spec as never) === mounts(s.Spec.TaskTemplate))
      )
        return;
    }
    if (Date.now() > end)
      throw new Error(
        `Router "${router}": its update did not finish on every edge node within ${timeoutMs / 1000} s. Fix: see docker service ps ${router} on the manager, then run \`pulumi up\` again`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Swarm stores a service's networks by ID. */
async function networkIds(d: Docker, names: string[]): Promise<string[]> {
  const all = await d.listNetworks();
  return names.map((n) => all.find((x) => x.Name === n)?.Id ?? n).sort();
}

/** Old router configs go once no service uses them (Swarm refuses to remove one in use). */
async function removeUnusedConfigs(d: Docker, router: string): Promise<void> {
  const service = await d
    .getService(router)
    .inspect()
    .catch(() => undefined);
  const inUse = new Set((service?.Spec.TaskTemplate.ContainerSpec.Configs ?? []).map((c: { ConfigName: string }) => c.ConfigName));
  const configs = await d.listConfigs({ filters: { label: [`${LABEL.router}=${router}`] } });
  for (const c of configs) {
    if (!inUse.has(c.Spec?.Name ?? ""))
      await d
        .getConfig(c.ID)
        .remove()
        .catch(() => undefined);
  }
}

/** Whether the router service has a running task on every edge node ("running" or, for refresh, drift). */
export async function swarmRouterStatus(engine: SwarmEngine, router: string): Promise<"running" | "stopped" | "missing"> {
  const d = clusterDocker(engine);
  const service = await d
    .getService(router)
    .inspect()
    .catch(() => undefined);
  if (!service) return "missing";
  const tasks = await d.listTasks({ filters: { service: [router], "desired-state": ["running"] } });
  return tasks.some((t) => t.Status?.State === "running") ? "running" : "stopped";
}
