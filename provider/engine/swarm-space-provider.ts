/**
 * The Space on a Swarm: an overlay network its apps' dynos join (on every node), and a router of
 * its own, a global service on the edge nodes like the Common Runtime's, with the space's trusted
 * ranges. A Shield space's overlays are internal (no way out) and encrypted, and one is made only
 * after every node showed that its kernel can encrypt them (swarm-encryption-check.ts).
 */
import type * as pulumi from "@pulumi/pulumi";
import type Docker from "dockerode";
import type { SwarmEngine } from "../../sdk/engine";
import { checkInputs, SpaceInputsSchema } from "../../sdk/input-schemas";
import { PROVIDER_VERSION } from "../../sdk/lazy-provider";
import type { SpaceInputs, SpaceOutputs } from "../../sdk/space";
import { isNotFound } from "../docker/docker-client";
import { LABEL, labelFilter } from "../docker/labels";
import { diffSpace, spaceOutputs } from "../spaces/space-provider";
import { spaceRouterNetworkName } from "../spaces/space-network";
import { acmeResponderName } from "./acme-responder-config";
import { ensureSwarmOverlay, removeSwarmNetwork } from "./swarm-overlay";
import { clusterDocker, unreachable } from "./cluster-client";
import { checkOverlayEncryption, encryptionProblem } from "./swarm-encryption-check";
import { removeSwarmRouter, routerTurn, swarmRouterStatus, syncSwarmRouter } from "./swarm-router";

const engineOf = (s: Pick<SpaceInputs, "engine" | "name">): SwarmEngine => {
  if (!s.engine) throw new Error(`Space "${s.name}": the Swarm provider got no engine (dynoform:engine swarm)`);
  return s.engine as SwarmEngine;
};

const routerOf = (s: SpaceOutputs) => ({
  name: s.router,
  httpPort: s.httpPort,
  // The space's apps sync the router with this port too (their routerHttpsPort): one port, from the start.
  httpsPort: s.httpsPort,
  space: { name: s.name, shield: s.shield, trustedIpRanges: s.trustedIpRanges },
});

/**
 * Ports the Swarm's services publish: a space router's port must not be one of them. The spec's
 * and the endpoint's lists both: a service just made or updated has its host-mode ports in its
 * spec before its endpoint shows them (an empty list, so not one in place of the other).
 */
async function publishedPorts(d: Docker): Promise<Set<number>> {
  const services = await d.listServices();
  return new Set(
    services.flatMap((s) => [...(s.Endpoint?.Ports ?? []), ...(s.Spec?.EndpointSpec?.Ports ?? [])].map((p) => p.PublishedPort ?? 0)),
  );
}

/** The first port from `from` that no service of the Swarm publishes. */
function firstFree(from: number, taken: Set<number>): number {
  for (let port = from; port < from + 500; port++) if (!taken.has(port)) return port;
  throw new Error(
    `no port from ${from} to ${from + 499} is free on the Swarm for a space router. Fix: set httpPort and httpsPort on the Space`,
  );
}

/** Apps whose overlays are in this space. */
async function appsIn(d: Docker, space: string): Promise<string[]> {
  const nets = await d.listNetworks({ filters: labelFilter({ [LABEL.role]: "app-network", [LABEL.space]: space }) });
  return nets.map((n) => n.Labels?.[LABEL.app] ?? n.Name).sort();
}

async function createSpace(inputs: SpaceInputs): Promise<pulumi.dynamic.CreateResult> {
  const engine = engineOf(inputs);
  const d = clusterDocker(engine);
  const taken = await publishedPorts(d).catch((e) => {
    throw unreachable(`Space "${inputs.name}"`, engine, e);
  });
  const httpPort = inputs.httpPort || firstFree(8400, taken);
  const httpsPort = inputs.httpsPort || firstFree(8450, new Set([...taken, httpPort]));
  const outs = spaceOutputs(inputs, httpPort, httpsPort);
  const labels = { [LABEL.space]: inputs.name, [LABEL.shield]: String(inputs.shield) };
  try {
    await ensureSwarmOverlay(d, outs.network, { ...labels, [LABEL.role]: "space-network" }, inputs.shield);
    // The router's own network: not internal (its published port needs a gateway), no dyno joins it.
    await ensureSwarmOverlay(
      d,
      spaceRouterNetworkName(inputs.name),
      { ...labels, [LABEL.role]: "router-network", [LABEL.router]: outs.router },
      false,
    );
    await syncSwarmRouter(engine, routerOf(outs));
  } catch (e) {
    // A failed create leaves nothing behind: the state will not know these objects.
    await removeSwarmRouter(engine, outs.router).catch(() => undefined);
    for (const n of [spaceRouterNetworkName(inputs.name), acmeResponderName(outs.router), outs.network])
      await d
        .getNetwork(n)
        .remove()
        .catch(() => undefined);
    throw new Error(`Space "${inputs.name}": could not create it on the Swarm: ${(e as Error).message}`);
  }
  return { id: inputs.name, outs };
}

/** Spaces made at once in one `pulumi up` take turns: each router publishes its port before the next space looks for a free one. */
const PORT_TURN = "dynoform-space-ports";

export const provider = {
  /** Also asks every node whether it can encrypt overlays when a Shield space is new: at preview, before anything is made. */
  async check(olds: SpaceInputs, news: SpaceInputs) {
    // Failures name their property (the engine prints its value), so the engine, which may hold a key, is left out.
    const failures = checkInputs(SpaceInputsSchema.omit({ engine: true }), news, `Space "${news.name}"`, { properties: true });
    if (failures.length === 0 && news.shield === true && olds?.shield !== true) {
      const engine = engineOf(news);
      const nodes = await checkOverlayEncryption(engine).catch((e) => {
        throw unreachable(`Space "${news.name}"`, engine, e);
      });
      const problem = encryptionProblem(news.name, nodes);
      if (problem) failures.push({ property: "shield", reason: problem });
    }
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: SpaceOutputs, news: SpaceInputs): Promise<pulumi.dynamic.DiffResult> {
    const d = diffSpace(olds, news);
    const replaces = [...(d.replaces ?? [])];
    if (olds.engine?.host !== news.engine?.host) replaces.push("engine");
    // A router removed or stopped by hand serves nothing: `up` makes it again.
    const routerGone = replaces.length === 0 && (await swarmRouterStatus(engineOf(news), olds.router).catch(() => "running")) === "missing";
    return { changes: d.changes || replaces.length > 0 || routerGone, replaces, deleteBeforeReplace: true };
  },

  async create(inputs: SpaceInputs): Promise<pulumi.dynamic.CreateResult> {
    return routerTurn(PORT_TURN, () => createSpace(inputs));
  },

  /** Trusted ranges changed (or the router went): the router's config is rendered again, on every replica. */
  async update(_id: string, olds: SpaceOutputs, news: SpaceInputs): Promise<pulumi.dynamic.UpdateResult> {
    const outs: SpaceOutputs = { ...olds, trustedIpRanges: news.trustedIpRanges, engine: news.engine, providerVersion: PROVIDER_VERSION };
    await syncSwarmRouter(engineOf(news), routerOf(outs));
    return { outs };
  },

  async read(id: string, props?: SpaceOutputs): Promise<pulumi.dynamic.ReadResult<SpaceOutputs>> {
    if (!props) return { id, props };
    try {
      await clusterDocker(engineOf(props)).getNetwork(props.network).inspect();
    } catch (e) {
      if (isNotFound(e)) return { id: "", props: {} as SpaceOutputs };
      throw unreachable(`Space "${props.name}"`, engineOf(props), e);
    }
    return { id, props };
  },

  async delete(_id: string, props: SpaceOutputs): Promise<void> {
    const engine = engineOf(props);
    const d = clusterDocker(engine);
    const apps = await appsIn(d, props.name);
    if (apps.length > 0)
      throw new Error(
        `Space "${props.name}" still has apps running in it: ${apps.join(", ")}. Nothing was removed. Fix: destroy those apps (or move them out of the space) first, then destroy the space`,
      );
    await removeSwarmRouter(engine, props.router);
    // The router's own networks (its edge and its ACME responder's), then the space's.
    for (const n of [spaceRouterNetworkName(props.name), acmeResponderName(props.router), props.network])
      await removeSwarmNetwork(d, n, `Space "${props.name}"`);
  },
} satisfies pulumi.dynamic.ResourceProvider<SpaceInputs, SpaceOutputs>;
