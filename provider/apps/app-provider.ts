import type * as pulumi from "@pulumi/pulumi";
import type { AppInputs, AppOutputs, Generation } from "../../sdk/app";
import { dockerfileFor } from "../../sdk/buildpacks";
import { AppInputsSchema, checkInputs } from "../../sdk/input-schemas";
import { PROVIDER_VERSION } from "../../sdk/lazy-provider";
import { docker, isNotFound } from "../docker/docker-client";
import { buildImage } from "../docker/image-build";
import { type Arch, normalArch, readBinfmt, type RunSupport, runSupport } from "../docker/engine-architecture";
import { LABEL, labelFilter } from "../docker/labels";
import { unguardShieldNetwork } from "../spaces/shield-guard";
import { removeReleasePhaseOutput, runReleasePhase } from "./release-phase";
import { changeRouter, ensureNetwork, removeAppNetwork, routerStatus, syncRouter, waitForRouterDrain } from "../router/router-controller";
import { tlsFile } from "../tls/router-tls";
import { removeTlsFiles, writeTlsFiles } from "../router/router-tls-store";
import { dockerignoreFilter } from "../../sdk/source";
import { withoutPreload } from "../formations/preload-decision";
import { maintenanceOf, setMaintenance } from "../router/maintenance";
import { latestRelease, listReleases, pruneReleases, recordRelease, removeAppImages, removeReleases } from "./release-history";

type DiffResult = pulumi.dynamic.DiffResult;

export function appNetworkName(app: string): string {
  return `dynoform-app-${app}`;
}

const PLATFORM: Record<Generation, { platform: string; arch: Arch }> = {
  cedar: { platform: "linux/amd64", arch: "amd64" },
  fir: { platform: "linux/arm64", arch: "arm64" },
};

function webUrl(inputs: AppInputs): string {
  return `http://${inputs.hostnames[0]}:${inputs.routerHttpPort}/`;
}

function routerOf(inputs: AppInputs) {
  const space = inputs.space
    ? { space: { name: inputs.space.name, shield: inputs.space.shield, trustedIpRanges: inputs.space.trustedIpRanges } }
    : {};
  return { name: inputs.router, httpPort: inputs.routerHttpPort, httpsPort: inputs.routerHttpsPort, ...space };
}

/** Turns the app's HTTP → HTTPS redirect on or off in the router's TLS store. */
function setHttpsRedirect(inputs: AppInputs, on: boolean): Promise<void> {
  return changeRouter(routerOf(inputs), (router) =>
    on ? writeTlsFiles(router, { [tlsFile.redirect(inputs.name)]: "" }) : removeTlsFiles(router, [tlsFile.redirect(inputs.name)]),
  );
}

function sameVars(a: Record<string, string>, b: Record<string, string>): boolean {
  return JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b ?? {}).sort());
}

/**
 * The labels of an app's built image. The detected language stays on it: the formation gives
 * Node.js dynos their runtime metrics preload (provider/formations/preload-decision.ts).
 */
export function appImageLabels(app: string, build: AppInputs["build"]): Record<string, string> {
  const language: Record<string, string> = build === "dockerfile" || build === "image" ? {} : { [LABEL.language]: build };
  return { [LABEL.managed]: "true", [LABEL.role]: "app-image", [LABEL.app]: app, ...language };
}

/** Builds (or, for a prebuilt image, finds) the image of this source. */
export async function image(inputs: AppInputs): Promise<{ imageId: string; tag: string }> {
  if (inputs.build === "image") {
    const found = await docker()
      .getImage(inputs.imageRef)
      .inspect()
      .catch(() => undefined);
    if (!found) {
      throw new Error(
        `App "${inputs.name}": image "${inputs.imageRef}" is not on the Docker Engine and could not be pulled. Fix: build or load it first (docker build / docker load), or use \`source\``,
      );
    }
    return { imageId: found.Id, tag: inputs.imageRef };
  }
  const tag = `dynoform/app-${inputs.name}:${inputs.sourceHash}`;
  // A kept release's image (the tag is the source's content hash): a reverted program starts it
  // again without a build. Only for the same architecture: the hash does not say which one.
  const kept = await docker()
    .getImage(tag)
    .inspect()
    .catch(() => undefined);
  if (kept && normalArch(kept.Architecture) === PLATFORM[inputs.generation].arch) return { imageId: kept.Id, tag };
  const labels = appImageLabels(inputs.name, inputs.build);
  const dockerfile = inputs.build === "dockerfile" ? undefined : dockerfileFor(inputs.build, inputs.sourceDir, inputs.generation);
  // What .dockerignore leaves out is not sent at all (the source hash leaves it out too); with
  // `!` exceptions everything is sent and the engine applies the file itself.
  const dockerignore = dockerignoreFilter(inputs.sourceDir);
  const leaveOut = dockerignore.hasExceptions ? undefined : (p: string) => dockerignore.ignored(p);
  return buildImage(inputs.sourceDir, tag, labels, { dockerfile, platform: PLATFORM[inputs.generation].platform, leaveOut });
}

/**
 * The release number for an app being created: 1 for a new app; for one whose dynos run already,
 * their release when they run this image with this config, else the next one.
 */
async function adoptedRelease(inputs: AppInputs, imageId: string): Promise<{ number: number; isNew: boolean }> {
  const dynos = await docker().listContainers({ all: true, filters: labelFilter({ [LABEL.role]: "dyno", [LABEL.app]: inputs.name }) });
  if (dynos.length === 0) return { number: 1, isNew: true };
  const latest = Math.max(...dynos.map((d) => Number((d.Labels[LABEL.release] ?? "v0").slice(1)) || 0));
  const sample = dynos.find((d) => d.Labels[LABEL.release] === `v${latest}`)!;
  const env = (await docker().getContainer(sample.Id).inspect()).Config.Env ?? [];
  const wanted = Object.entries({ ...inputs.config, ...inputs.secrets }).map(([k, v]) => `${k}=${v}`);
  const running = env.filter((e) => !/^(PORT|DYNO)=/.test(e)).map(withoutPreload);
  const same =
    sample.ImageID === imageId &&
    wanted.length === running.filter((e) => wanted.includes(e)).length &&
    wanted.every((e) => running.includes(e));
  return same ? { number: latest, isNew: false } : { number: latest + 1, isNew: true };
}

/**
 * Whether the engine can run images of this generation's architecture: natively, or through a
 * QEMU emulator registered with binfmt_misc in fix-binary mode (engine-architecture.ts). The
 * emulator is looked for on this machine, which is the engine's own when DOCKER_HOST is unset or
 * a unix socket; a remote engine's kernel cannot be read from here, so it is trusted (its build
 * then fails with Docker's own `exec format error` if it cannot).
 */
async function generationProblem(inputs: AppInputs): Promise<string | undefined> {
  const { arch } = PLATFORM[inputs.generation] ?? PLATFORM.cedar;
  const engineArch = (await docker().info()).Architecture as string;
  const host = process.env.DOCKER_HOST ?? "";
  if (host && !host.startsWith("unix://")) return undefined;
  return generationRefusal(
    inputs.name,
    inputs.generation,
    engineArch,
    runSupport(engineArch, arch, () => readBinfmt(arch)),
  );
}

/** The check's failure for an app whose images the engine cannot run (undefined: it can). */
export function generationRefusal(app: string, generation: Generation, engineArch: string, support: RunSupport): string | undefined {
  if (support.how !== "none") return undefined;
  return `App "${app}": generation "${generation}" builds ${PLATFORM[generation].platform} images, but the Docker Engine is ${engineArch} and cannot run them: ${support.why}. Fix: run scripts/setup.sh as root (it installs Debian's qemu-user-static and registers it with binfmt_misc in fix-binary mode), or use generation "${generation === "fir" ? "cedar" : "fir"}"`;
}

/**
 * Runs the release phase when the Procfile has one; throws (and so deploys nothing) when it
 * fails. Returns whether it ran.
 */
async function releasePhase(inputs: AppInputs, imageId: string, release: string, network: string): Promise<boolean> {
  if (!inputs.releaseCommand) return false;
  await runReleasePhase({
    app: inputs.name,
    release,
    image: imageId,
    command: inputs.releaseCommand,
    env: { ...inputs.config, ...inputs.secrets },
    network,
  });
  return true;
}

/** Keeps the release in the app's history (release-history.ts). */
function record(inputs: AppInputs, built: { imageId: string; tag: string }, releaseNumber: number, ran: boolean) {
  return recordRelease({
    app: inputs.name,
    release: `v${releaseNumber}`,
    imageId: built.imageId,
    imageTag: built.tag,
    sourceHash: inputs.sourceHash,
    config: inputs.config ?? {},
    secrets: inputs.secrets ?? {},
    releaseCommand: inputs.releaseCommand ?? "",
    releasePhaseRan: ran,
    git: inputs.git,
  });
}

export const provider = {
  async check(_olds: AppInputs, news: AppInputs) {
    const failures = checkInputs(AppInputsSchema, news, `App "${news.name}"`);
    if (AppInputsSchema.shape.generation.safeParse(news.generation).success) {
      // An engine that does not answer is one more failure, beside the others (not instead of them).
      const problem = await generationProblem(news).catch(
        (e: Error) =>
          `App "${news.name}": could not ask the Docker Engine which architectures it runs (${e.message}). Fix: start the Docker Engine (or point DOCKER_HOST at it), then run the command again`,
      );
      if (problem) failures.push({ property: "", reason: problem });
    }
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: AppOutputs, news: AppInputs): Promise<DiffResult> {
    const replaces = olds.name !== news.name ? ["name"] : [];
    if (olds.router !== news.router) replaces.push("router");
    if (olds.space?.name !== news.space?.name) replaces.push("space");
    if (JSON.stringify(olds.hostnames) !== JSON.stringify(news.hostnames)) replaces.push("hostnames");
    const changes: string[] = [];
    if (olds.sourceHash !== news.sourceHash || olds.build !== news.build || olds.generation !== news.generation) changes.push("source");
    if (!sameVars(olds.config, news.config)) changes.push("config");
    if (!sameVars(olds.secrets, news.secrets)) changes.push("secrets");
    if (olds.releaseCommand !== news.releaseCommand) changes.push("releaseCommand");
    if (olds.routerHttpPort !== news.routerHttpPort) changes.push("routerHttpPort");
    if ((olds.routerHttpsPort ?? news.routerHttpsPort) !== news.routerHttpsPort) changes.push("routerHttpsPort");
    if (Boolean(olds.httpsRedirect) !== Boolean(news.httpsRedirect)) changes.push("httpsRedirect");
    // Maintenance as the program says, against the state and against Docker: `dynoform
    // maintenance on|off` outside the program is a change the next `up` undoes.
    if (Boolean(olds.maintenance) !== Boolean(news.maintenance) || (olds.maintenancePage ?? "") !== (news.maintenancePage ?? ""))
      changes.push("maintenance");
    else if (replaces.length === 0) {
      const live = await maintenanceOf(news.name).catch(() => undefined);
      if (live && (live.on !== Boolean(news.maintenance) || (live.on && live.page !== (news.maintenancePage ?? ""))))
        changes.push("maintenance");
    }
    // A release made outside the program (`dynoform rollback`) is drift: the next `up` makes a
    // new release of what the program says.
    if (replaces.length === 0 && ((await latestRelease(news.name).catch(() => undefined))?.number ?? 0) > (olds.releaseNumber ?? 0))
      changes.push("release");
    // A router stopped by hand (`docker kill` keeps it down: Docker's restart rule) serves
    // nothing: an `up` with nothing else to change brings it back (update syncs the router).
    if (replaces.length === 0 && (await routerStatus(news.router ?? olds.router).catch(() => "running")) !== "running")
      changes.push("router");
    return { changes: replaces.length + changes.length > 0, replaces, deleteBeforeReplace: true };
  },

  /**
   * Also adopts an app that runs already (made by another stack, or by a stack whose state was
   * lost): the network and dynos are reused, and the release number carries on from the dynos
   * when they run the same image, so declaring the app again restarts nothing.
   */
  async create(inputs: AppInputs): Promise<pulumi.dynamic.CreateResult> {
    const network = appNetworkName(inputs.name);
    const built = await image(inputs);
    const adopted = await adoptedRelease(inputs, built.imageId);
    const releaseNumber = adopted.number;
    await ensureNetwork(
      network,
      {
        [LABEL.managed]: "true",
        [LABEL.role]: "app-network",
        [LABEL.app]: inputs.name,
        [LABEL.hostname]: inputs.hostnames.join(","),
        [LABEL.webPort]: String(inputs.webPort),
        [LABEL.router]: inputs.router,
        ...(inputs.space ? { [LABEL.space]: inputs.space.name, [LABEL.shield]: String(inputs.space.shield) } : {}),
      },
      { internal: inputs.space?.shield === true },
    );
    try {
      const ran = adopted.isNew ? await releasePhase(inputs, built.imageId, `v${releaseNumber}`, network) : false;
      if (adopted.isNew || !(await listReleases(inputs.name)).some((r) => r.number === releaseNumber))
        await record(inputs, built, releaseNumber, ran);
    } catch (e) {
      if (releaseNumber === 1) {
        await unguardShieldNetwork(network).catch(() => undefined);
        await docker()
          .getNetwork(network)
          .remove()
          .catch(() => undefined);
        await removeAppImages(inputs.name, []);
      }
      throw e;
    }
    await setMaintenance(inputs.name, inputs.router, Boolean(inputs.maintenance), inputs.maintenancePage ?? "");
    await syncRouter(routerOf(inputs));
    if (inputs.httpsRedirect) await setHttpsRedirect(inputs, true);
    return { id: inputs.name, outs: appOutputs(inputs, built, releaseNumber, network) };
  },

  async update(_id: string, olds: AppOutputs, news: AppInputs): Promise<pulumi.dynamic.UpdateResult> {
    const sameSource = olds.sourceHash === news.sourceHash && olds.build === news.build && olds.generation === news.generation;
    const built = sameSource ? { imageId: olds.imageId, tag: olds.imageTag } : await image(news);
    // A rollback made outside the program left a newer release running: the program's is made again.
    const live = (await latestRelease(news.name))?.number ?? 0;
    const drifted = live > olds.releaseNumber;
    const newRelease =
      drifted || built.imageId !== olds.imageId || !sameVars(olds.config, news.config) || !sameVars(olds.secrets, news.secrets);
    const releaseNumber = newRelease ? Math.max(olds.releaseNumber, live) + 1 : olds.releaseNumber;
    if (newRelease) await record(news, built, releaseNumber, await releasePhase(news, built.imageId, `v${releaseNumber}`, olds.network));
    // Keep the previous image: its dynos run until the formation rolls to the new release.
    await pruneReleases(news.name, [built.imageId, olds.imageId]);
    if (Boolean(olds.httpsRedirect) !== Boolean(news.httpsRedirect)) await setHttpsRedirect(news, Boolean(news.httpsRedirect));
    const maintenanceChanged = await setMaintenance(news.name, news.router, Boolean(news.maintenance), news.maintenancePage ?? "");
    // Idempotent: brings back a router that was stopped or removed (see diff).
    const previous = await syncRouter(routerOf(news));
    // Maintenance on or off is done when no router worker of the old rule is left.
    if (maintenanceChanged) await waitForRouterDrain(routerOf(news), previous, 10_000);
    return { outs: appOutputs(news, built, releaseNumber, olds.network) };
  },

  async read(id: string, props?: AppOutputs): Promise<pulumi.dynamic.ReadResult<AppOutputs>> {
    if (!props) return { id, props };
    try {
      await docker()
        .getNetwork(appNetworkName(props.name ?? id))
        .inspect();
    } catch (e) {
      if (isNotFound(e)) return { id: "", props: {} as AppOutputs };
      throw e;
    }
    const image = props.imageTag
      ? await docker()
          .getImage(props.imageTag)
          .inspect()
          .catch(() => undefined)
      : undefined;
    // `refresh` shows a router that is not running as drift (`routerStatus`); `up` restarts it.
    const router = await routerStatus(props.router);
    // Maintenance switched outside the program (`dynoform maintenance`) is drift.
    const maintenance = await maintenanceOf(props.name ?? id);
    // A release made outside the program (`dynoform rollback`) is drift, named here.
    const live = await latestRelease(props.name ?? id).catch(() => undefined);
    const liveRelease = live && live.number > (props.releaseNumber ?? 0) ? `${live.release} (${live.description})` : undefined;
    const { liveRelease: _before, ...rest } = props;
    return {
      id,
      props: {
        ...rest,
        imageId: image?.Id ?? "",
        routerStatus: router,
        maintenance: maintenance.on,
        maintenancePage: maintenance.on ? maintenance.page : (props.maintenancePage ?? ""),
        // Only when there is one: an undefined value cannot go into Pulumi's state.
        ...(liveRelease ? { liveRelease } : {}),
      },
    };
  },

  async delete(_id: string, props: AppOutputs): Promise<void> {
    const network = appNetworkName(props.name);
    if (props.httpsRedirect) await setHttpsRedirect(props, false).catch(() => undefined);
    await removeReleasePhaseOutput(props.name);
    await setMaintenance(props.name, props.router, false);
    await removeAppNetwork(routerOf(props), network).catch((e) => {
      throw new Error(
        `App "${props.name}": could not remove network ${network}: ${e.message}. Fix: stop the containers still attached (docker network inspect ${network}) and run destroy again`,
      );
    });
    await removeReleases(props.name);
    await removeAppImages(props.name, []);
  },
} satisfies pulumi.dynamic.ResourceProvider<AppInputs, AppOutputs>;

/** What create and update record (on one engine or a Swarm): the inputs, the image and release they made, and the router they left running. */
export function appOutputs(inputs: AppInputs, built: { imageId: string; tag: string }, releaseNumber: number, network: string): AppOutputs {
  return {
    ...inputs,
    imageId: built.imageId,
    imageTag: built.tag,
    release: `v${releaseNumber}`,
    releaseNumber,
    network,
    webUrl: webUrl(inputs),
    routerStatus: "running",
    providerVersion: PROVIDER_VERSION,
  };
}
