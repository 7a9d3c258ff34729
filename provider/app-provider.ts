import type * as pulumi from "@pulumi/pulumi";
import type { AppInputs, AppOutputs } from "../sdk/app";
import { APP_NAME, CONFIG_VAR_NAME } from "../sdk/names";
import { docker, isNotFound } from "./docker-client";
import { buildImage } from "./image-build";
import { LABEL, labelFilter } from "./labels";
import { ensureNetwork, syncRouter } from "./router-controller";

type DiffResult = pulumi.dynamic.DiffResult;

export function appNetworkName(app: string): string {
  return `dynoform-app-${app}`;
}

function imageTag(app: string, sourceHash: string): string {
  return `dynoform/app-${app}:${sourceHash}`;
}

function webUrl(inputs: AppInputs): string {
  return `http://${inputs.hostnames[0]}:${inputs.routerHttpPort}/`;
}

function routerOf(inputs: AppInputs) {
  return { name: inputs.router, httpPort: inputs.routerHttpPort };
}

function configChanged(a: Record<string, string>, b: Record<string, string>): boolean {
  return JSON.stringify(Object.entries(a ?? {}).sort()) !== JSON.stringify(Object.entries(b ?? {}).sort());
}

async function build(inputs: AppInputs) {
  return buildImage(inputs.sourceDir, imageTag(inputs.name, inputs.sourceHash), {
    [LABEL.managed]: "true",
    [LABEL.role]: "app-image",
    [LABEL.app]: inputs.name,
  });
}

/** Removes this app's images except the ones named; an image still used by a dyno stays. */
async function pruneImages(app: string, keep: string[]): Promise<void> {
  const images = await docker().listImages({ filters: labelFilter({ [LABEL.role]: "app-image", [LABEL.app]: app }) });
  for (const img of images) {
    if (keep.includes(img.Id)) continue;
    for (const tag of img.RepoTags ?? []) await docker().getImage(tag).remove().catch(() => undefined);
    await docker().getImage(img.Id).remove().catch(() => undefined);
  }
}

export const provider = {
  async check(_olds: AppInputs, news: AppInputs) {
    const failures: pulumi.dynamic.CheckFailure[] = [];
    const nameProblem = APP_NAME.check(news.name);
    if (nameProblem) failures.push({ property: "", reason: `App "${news.name}": ${nameProblem}` });
    if (news.sourceError) failures.push({ property: "", reason: `App "${news.name}": ${news.sourceError}` });
    if (typeof news.config === "object" && news.config) {
      for (const key of Object.keys(news.config)) {
        const problem = CONFIG_VAR_NAME.check(key);
        if (problem) failures.push({ property: "", reason: `App "${news.name}": ${problem}` });
      }
    }
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: AppOutputs, news: AppInputs): Promise<DiffResult> {
    const replaces = olds.name !== news.name ? ["name"] : [];
    const changes: string[] = [];
    if (olds.sourceHash !== news.sourceHash) changes.push("source");
    if (configChanged(olds.config, news.config)) changes.push("config");
    if (JSON.stringify(olds.hostnames) !== JSON.stringify(news.hostnames)) replaces.push("hostnames");
    if (olds.router !== news.router) replaces.push("router");
    if (olds.routerHttpPort !== news.routerHttpPort) changes.push("routerHttpPort");
    return { changes: replaces.length + changes.length > 0, replaces, deleteBeforeReplace: true };
  },

  async create(inputs: AppInputs): Promise<pulumi.dynamic.CreateResult> {
    const network = appNetworkName(inputs.name);
    await ensureNetwork(network, {
      [LABEL.managed]: "true",
      [LABEL.role]: "app-network",
      [LABEL.app]: inputs.name,
      [LABEL.hostname]: inputs.hostnames.join(","),
      [LABEL.webPort]: String(inputs.webPort),
      [LABEL.router]: inputs.router,
    });
    const image = await build(inputs);
    await syncRouter(routerOf(inputs));
    const outs: AppOutputs = { ...inputs, imageId: image.imageId, imageTag: image.tag, release: "v1", releaseNumber: 1, network, webUrl: webUrl(inputs) };
    return { id: inputs.name, outs };
  },

  async update(_id: string, olds: AppOutputs, news: AppInputs): Promise<pulumi.dynamic.UpdateResult> {
    const image = olds.sourceHash === news.sourceHash ? { imageId: olds.imageId, tag: olds.imageTag } : await build(news);
    const newRelease = image.imageId !== olds.imageId || configChanged(olds.config, news.config);
    const releaseNumber = newRelease ? olds.releaseNumber + 1 : olds.releaseNumber;
    // Keep the previous image: its dynos run until the formation rolls to the new release.
    await pruneImages(news.name, [image.imageId, olds.imageId]);
    const outs: AppOutputs = { ...news, imageId: image.imageId, imageTag: image.tag, release: `v${releaseNumber}`, releaseNumber, network: olds.network, webUrl: webUrl(news) };
    return { outs };
  },

  async read(id: string, props: AppOutputs): Promise<pulumi.dynamic.ReadResult> {
    try {
      await docker().getNetwork(appNetworkName(props.name)).inspect();
    } catch (e) {
      if (isNotFound(e)) return { id: "", props: {} };
      throw e;
    }
    const image = await docker().getImage(props.imageTag).inspect().catch(() => undefined);
    return { id, props: { ...props, imageId: image?.Id ?? "" } };
  },

  async delete(_id: string, props: AppOutputs): Promise<void> {
    const network = appNetworkName(props.name);
    await syncRouter(routerOf(props), [network]);
    await docker().getNetwork(network).remove().catch((e) => {
      if (!isNotFound(e)) throw new Error(`App "${props.name}": could not remove network ${network}: ${e.message}. Fix: stop the containers still attached (docker network inspect ${network}) and run destroy again`);
    });
    await pruneImages(props.name, []);
  },
};
