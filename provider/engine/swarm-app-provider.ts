/**
 * The App on a Swarm: the image is built on this machine's Docker Engine as on one engine, then
 * pushed to the cluster's registry; the app's network is an overlay on the manager; the cluster
 * router serves it. Releases are numbered in the state (a new image digest, config or secrets
 * makes the next), not in a release history on the engine.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { AppInputs, AppOutputs } from "../../sdk/app";
import type { SwarmEngine } from "../../sdk/engine";
import { AppInputsSchema, checkInputs } from "../../sdk/input-schemas";
import { appNetworkName, appOutputs, image } from "../apps/app-provider";
import { isNotFound } from "../docker/docker-client";
import { LABEL } from "../docker/labels";
import { clusterDocker, unreachable } from "./cluster-client";
import { removeReleasePhaseOutput, runReleasePhase } from "../apps/release-phase";
import { pullOnManager } from "./manager-pull";
import { pushImage, registryAuth } from "./registry-push";
import { ensureSwarmOverlay, removeSwarmNetwork } from "./swarm-overlay";
import { routerTurn, swarmRouterStatus, syncSwarmRouter } from "./swarm-router";
import { maintenanceContent, maintenanceFile } from "./swarm-router-tls";
import { observeSwarmTls } from "./swarm-tls-observe";
import { swarmTlsStore } from "./swarm-tls-store";
import { tlsFile } from "../tls/router-tls";

const engineOf = (inputs: AppInputs): SwarmEngine => {
  if (!inputs.engine) throw new Error(`App "${inputs.name}": the Swarm provider got no engine (dynoform:engine swarm)`);
  return inputs.engine as SwarmEngine;
};

const routerOf = (inputs: AppInputs) => ({ name: inputs.router, httpPort: inputs.routerHttpPort, httpsPort: inputs.routerHttpsPort });

/**
 * Maintenance mode and the HTTPS redirect, in the router's store on the manager (every router
 * replica renders them); `off` for an app going away. Writes only what changed.
 */
async function setRouterSwitches(inputs: AppInputs, off = false): Promise<void> {
  const store = swarmTlsStore({
    router: inputs.router,
    routerHttpPort: inputs.routerHttpPort,
    routerHttpsPort: inputs.routerHttpsPort ?? 0,
    engine: engineOf(inputs),
  });
  const { maintenance, state } = await observeSwarmTls(clusterDocker(engineOf(inputs)), inputs.router);
  const page = off || !inputs.maintenance ? undefined : (inputs.maintenancePage ?? "");
  const redirect = !off && Boolean(inputs.httpsRedirect);
  const write: Record<string, string> = {};
  const remove: string[] = [];
  if (page !== maintenance[inputs.name]) {
    if (page === undefined) remove.push(maintenanceFile(inputs.name));
    else write[maintenanceFile(inputs.name)] = maintenanceContent(page);
  }
  if (redirect !== state.redirectApps.includes(inputs.name)) {
    if (redirect) write[tlsFile.redirect(inputs.name)] = "";
    else remove.push(tlsFile.redirect(inputs.name));
  }
  if (Object.keys(write).length) await store.write(write);
  if (remove.length) await store.remove(remove);
}

/** Builds the image here and pushes it; the nodes run it by digest. */
async function pushedImage(inputs: AppInputs): Promise<{ imageId: string; tag: string }> {
  const built = await image(inputs);
  const tag = built.tag.split(":").pop() || "latest";
  return { imageId: await pushImage(built.tag, `dynoform/app-${inputs.name}`, tag, engineOf(inputs).registry), tag: built.tag };
}

/** The app's overlay network on the manager; its labels are the router's inventory. */
async function ensureOverlay(inputs: AppInputs): Promise<string> {
  const name = appNetworkName(inputs.name);
  const labels = {
    [LABEL.role]: "app-network",
    [LABEL.app]: inputs.name,
    [LABEL.hostname]: inputs.hostnames.join(","),
    [LABEL.webPort]: String(inputs.webPort),
    [LABEL.router]: inputs.router,
    ...(inputs.space ? { [LABEL.space]: inputs.space.name, [LABEL.shield]: String(inputs.space.shield) } : {}),
  };
  await ensureSwarmOverlay(clusterDocker(engineOf(inputs)), name, labels, inputs.space?.shield === true);
  return name;
}

/**
 * The Procfile's `release:` command, once per new release, before any dyno of it starts: a plain
 * container on the manager with the release's image (pulled from the cluster's registry) and
 * config, on the app's overlay, so it reaches what the dynos reach. A failure throws: the
 * Formation is not updated and the previous release keeps serving. Its output stays on the
 * manager as `app[release.N]` until the next release phase or destroy, as on one engine.
 */
async function swarmReleasePhase(inputs: AppInputs, image: string, release: string, network: string): Promise<void> {
  if (!inputs.releaseCommand) return;
  const engine = engineOf(inputs);
  const d = clusterDocker(engine);
  await pullOnManager(d, image, registryAuth(engine.registry));
  await runReleasePhase({
    app: inputs.name,
    release,
    image,
    command: inputs.releaseCommand,
    env: { ...inputs.config, ...inputs.secrets },
    network,
    engine: d,
  });
}

const sameVars = (a: Record<string, string> = {}, b: Record<string, string> = {}) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

export const provider = {
  async check(_olds: AppInputs, news: AppInputs) {
    return { inputs: news, failures: checkInputs(AppInputsSchema, news, `App "${news.name}"`) };
  },

  async diff(_id: string, olds: AppOutputs, news: AppInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = olds.name !== news.name ? ["name"] : [];
    if (olds.router !== news.router) replaces.push("router");
    if (olds.space?.name !== news.space?.name) replaces.push("space");
    if (JSON.stringify(olds.hostnames) !== JSON.stringify(news.hostnames)) replaces.push("hostnames");
    if (olds.engine?.host !== news.engine?.host) replaces.push("engine");
    const changes: string[] = [];
    if (olds.sourceHash !== news.sourceHash || olds.build !== news.build || olds.generation !== news.generation) changes.push("source");
    if (!sameVars(olds.config, news.config)) changes.push("config");
    if (!sameVars(olds.secrets, news.secrets)) changes.push("secrets");
    if ((olds.releaseCommand ?? "") !== (news.releaseCommand ?? "")) changes.push("releaseCommand");
    if (olds.routerHttpPort !== news.routerHttpPort) changes.push("routerHttpPort");
    if (Boolean(olds.httpsRedirect) !== Boolean(news.httpsRedirect)) changes.push("httpsRedirect");
    if (Boolean(olds.maintenance) !== Boolean(news.maintenance) || (olds.maintenancePage ?? "") !== (news.maintenancePage ?? ""))
      changes.push("maintenance");
    if (JSON.stringify(olds.engine) !== JSON.stringify(news.engine)) changes.push("engine");
    // A router removed or stopped by hand serves nothing: `up` brings it back.
    if (replaces.length === 0 && (await swarmRouterStatus(engineOf(news), news.router).catch(() => "running")) !== "running")
      changes.push("router");
    return { changes: replaces.length + changes.length > 0, replaces, deleteBeforeReplace: true };
  },

  async create(inputs: AppInputs): Promise<pulumi.dynamic.CreateResult> {
    const engine = engineOf(inputs);
    const built = await pushedImage(inputs);
    const network = await ensureOverlay(inputs).catch((e) => {
      throw unreachable(`App "${inputs.name}"`, engine, e);
    });
    // A failed first release leaves nothing behind: the app does not exist yet.
    await swarmReleasePhase(inputs, built.imageId, "v1", network).catch(async (e) => {
      await removeReleasePhaseOutput(inputs.name, clusterDocker(engine)).catch(() => undefined);
      await clusterDocker(engine)
        .getNetwork(network)
        .remove()
        .catch(() => undefined);
      throw e;
    });
    await syncSwarmRouter(engine, routerOf(inputs));
    await setRouterSwitches(inputs);
    return { id: inputs.name, outs: appOutputs(inputs, built, 1, network) };
  },

  async update(_id: string, olds: AppOutputs, news: AppInputs): Promise<pulumi.dynamic.UpdateResult> {
    const sameSource = olds.sourceHash === news.sourceHash && olds.build === news.build && olds.generation === news.generation;
    const built = sameSource ? { imageId: olds.imageId, tag: olds.imageTag } : await pushedImage(news);
    const newRelease = built.imageId !== olds.imageId || !sameVars(olds.config, news.config) || !sameVars(olds.secrets, news.secrets);
    const network = await ensureOverlay(news);
    const releaseNumber = newRelease ? olds.releaseNumber + 1 : olds.releaseNumber;
    if (newRelease) await swarmReleasePhase(news, built.imageId, `v${releaseNumber}`, network);
    await syncSwarmRouter(engineOf(news), routerOf(news));
    await setRouterSwitches(news);
    return { outs: appOutputs(news, built, releaseNumber, network) };
  },

  async read(id: string, props?: AppOutputs): Promise<pulumi.dynamic.ReadResult<AppOutputs>> {
    if (!props) return { id, props };
    const d = clusterDocker(engineOf(props));
    try {
      await d.getNetwork(appNetworkName(props.name ?? id)).inspect();
    } catch (e) {
      if (isNotFound(e)) return { id: "", props: {} as AppOutputs };
      throw unreachable(`App "${props.name}"`, engineOf(props), e);
    }
    // Maintenance switched on the manager by hand (its config removed or added) is drift.
    const { maintenance, state } = await observeSwarmTls(d, props.router);
    const page = maintenance[props.name ?? id];
    return {
      id,
      props: {
        ...props,
        maintenance: page !== undefined,
        maintenancePage: page ?? props.maintenancePage ?? "",
        httpsRedirect: state.redirectApps.includes(props.name ?? id),
        routerStatus: await swarmRouterStatus(engineOf(props), props.router),
      },
    };
  },

  async delete(_id: string, props: AppOutputs): Promise<void> {
    const engine = engineOf(props);
    const d = clusterDocker(engine);
    await setRouterSwitches(props, true);
    // The router leaves the app's network first; Swarm frees a network's endpoints a moment after.
    // One app at a time per router, so the next one's sync sees this network gone.
    await routerTurn(props.router, async () => {
      await syncSwarmRouter(engine, routerOf(props), props.name);
      await removeReleasePhaseOutput(props.name, d);
      await removeSwarmNetwork(d, appNetworkName(props.name), `App "${props.name}"`);
    });
  },
} satisfies pulumi.dynamic.ResourceProvider<AppInputs, AppOutputs>;
