import type * as pulumi from "@pulumi/pulumi";
import { checkInputs, SpaceInputsSchema } from "../../sdk/input-schemas";
import { PROVIDER_VERSION } from "../../sdk/lazy-provider";
import type { SpaceInputs, SpaceOutputs } from "../../sdk/space";
import { portFree } from "../docker/port-probe";
import { docker, isNotFound } from "../docker/docker-client";
import { LABEL, labelFilter } from "../docker/labels";
import { ensureNetwork, ensureSpaceRouter, removeSpaceRouter } from "../router/router-controller";
import { unguardShieldNetwork } from "./shield-guard";
import { spaceNetworkName, spaceRouterName } from "./space-network";

export { cidrProblem } from "../../sdk/input-schemas";

/** The first port from `from` that no router publishes and nothing listens on. */
async function freePort(from: number, taken: Set<number>): Promise<number> {
  const routers = await docker().listContainers({ all: true, filters: labelFilter({ [LABEL.role]: "router" }) });
  for (const r of routers) for (const p of r.Ports ?? []) if (p.PublicPort) taken.add(p.PublicPort);
  for (let port = from; port < from + 500; port++) if (!taken.has(port) && (await portFree(port))) return port;
  throw new Error(
    `no free port on 127.0.0.1 from ${from} to ${from + 499} for a space router. Fix: set httpPort and httpsPort on the Space`,
  );
}

const routerSettings = (s: SpaceOutputs) => ({
  name: s.router,
  httpPort: s.httpPort,
  httpsPort: s.httpsPort,
  space: { name: s.name, shield: s.shield, trustedIpRanges: s.trustedIpRanges },
});

/** Apps whose networks are in this space. */
async function appsIn(space: string): Promise<string[]> {
  const nets = await docker().listNetworks({ filters: labelFilter({ [LABEL.role]: "app-network", [LABEL.space]: space }) });
  return nets.map((n) => n.Labels?.[LABEL.app] ?? n.Name).sort();
}

/** Pure, on either engine: a new name, kind or port makes the space again; new trusted ranges update its router. */
export function diffSpace(olds: SpaceOutputs, news: SpaceInputs): pulumi.dynamic.DiffResult {
  const replaces: string[] = (["name", "shield"] as const).filter((k) => olds[k] !== news[k]);
  for (const k of ["httpPort", "httpsPort"] as const) if (news[k] !== 0 && news[k] !== olds[k]) replaces.push(k);
  const changes = JSON.stringify([...olds.trustedIpRanges].sort()) !== JSON.stringify([...news.trustedIpRanges].sort());
  return { changes: changes || replaces.length > 0, replaces, deleteBeforeReplace: true };
}

/** Pure, on either engine: what a new space is, once its router's ports are chosen. */
export function spaceOutputs(inputs: SpaceInputs, httpPort: number, httpsPort: number): SpaceOutputs {
  return {
    ...inputs,
    httpPort,
    httpsPort,
    network: spaceNetworkName(inputs.name),
    router: spaceRouterName(inputs.name),
    providerVersion: PROVIDER_VERSION,
  };
}

export const provider = {
  async check(_olds: SpaceInputs, news: SpaceInputs) {
    // Space inputs hold no secrets: failures name the property.
    return { inputs: news, failures: checkInputs(SpaceInputsSchema, news, `Space "${news.name}"`, { properties: true }) };
  },

  async diff(_id: string, olds: SpaceOutputs, news: SpaceInputs): Promise<pulumi.dynamic.DiffResult> {
    return diffSpace(olds, news);
  },

  async create(inputs: SpaceInputs): Promise<pulumi.dynamic.CreateResult> {
    const httpPort = inputs.httpPort || (await freePort(8400, new Set()));
    const httpsPort = inputs.httpsPort || (await freePort(8450, new Set([httpPort])));
    const outs = spaceOutputs(inputs, httpPort, httpsPort);
    try {
      await ensureNetwork(
        outs.network,
        { [LABEL.managed]: "true", [LABEL.role]: "space-network", [LABEL.space]: inputs.name, [LABEL.shield]: String(inputs.shield) },
        { internal: inputs.shield },
      );
      await ensureSpaceRouter(routerSettings(outs));
    } catch (e) {
      // A failed create leaves nothing behind: the state will not know these objects.
      await removeSpaceRouter(outs.router).catch(() => undefined);
      await unguardShieldNetwork(outs.network).catch(() => undefined);
      await docker()
        .getNetwork(outs.network)
        .remove()
        .catch(() => undefined);
      const message = (e as Error).message;
      const port = /Bind for 127\.0\.0\.1:(\d+) failed: port is already allocated/.exec(message)?.[1];
      if (port)
        throw new Error(
          `Space "${inputs.name}": port ${port} on 127.0.0.1 is already in use, so its router cannot start. Fix: set the Space's ${Number(port) === httpPort ? "httpPort" : "httpsPort"} to a free port, or leave it out to pick one`,
        );
      throw new Error(`Space "${inputs.name}": could not create it: ${message}`);
    }
    return { id: inputs.name, outs };
  },

  /** Trusted ranges changed: the space router is made again with them (a short interruption). */
  async update(_id: string, olds: SpaceOutputs, news: SpaceInputs): Promise<pulumi.dynamic.UpdateResult> {
    const outs: SpaceOutputs = { ...olds, trustedIpRanges: news.trustedIpRanges, providerVersion: PROVIDER_VERSION };
    await ensureSpaceRouter(routerSettings(outs));
    return { outs };
  },

  async read(id: string, props?: SpaceOutputs): Promise<pulumi.dynamic.ReadResult<SpaceOutputs>> {
    if (!props) return { id, props };
    try {
      await docker().getNetwork(props.network).inspect();
    } catch (e) {
      if (isNotFound(e)) return { id: "", props: {} as SpaceOutputs };
      throw e;
    }
    return { id, props };
  },

  async delete(_id: string, props: SpaceOutputs): Promise<void> {
    const apps = await appsIn(props.name);
    if (apps.length > 0) {
      throw new Error(
        `Space "${props.name}" still has apps running in it: ${apps.join(", ")}. Nothing was removed. Fix: destroy those apps (or move them out of the space) first, then destroy the space`,
      );
    }
    await removeSpaceRouter(props.router);
    await unguardShieldNetwork(props.network);
    await docker()
      .getNetwork(props.network)
      .remove()
      .catch((e) => {
        if (!isNotFound(e))
          throw new Error(
            `Space "${props.name}": could not remove network ${props.network}: ${e.message}. Fix: stop the containers still attached (docker network inspect ${props.network}) and destroy again`,
          );
      });
  },
} satisfies pulumi.dynamic.ResourceProvider<SpaceInputs, SpaceOutputs>;
