/**
 * Where an app's releases are kept: one container per release, created and never started,
 * `dynoform-release-<app>-v<N>` (role `release`), whose image is the release's image and whose
 * labels hold what the release was (release-record.ts) and whose environment holds its config.
 *
 * Why a container: it is found by label like everything Dynoform makes; it survives restarts of
 * the engine and of the dyno manager, and the loss of a stack's state; it needs no volume,
 * no file format and no helper container to read; and, because Docker does not remove an image a
 * container uses, it keeps the release's image on the engine for as long as the release is kept
 * — which is what makes `rollback` and an `up` of a reverted program start at once. Config
 * values are in its environment as they are in every dyno's (`docker inspect` shows both),
 * never in a label and never in the Pulumi state unencrypted. The last RELEASES_KEPT are kept.
 */
import { docker, ignoreNotFound } from "../docker/docker-client";
import { LABEL, labelFilter } from "../docker/labels";
import {
  configOf,
  describeRelease,
  recordFromLabels,
  recordLabels,
  recordsToPrune,
  releaseChanges,
  releaseNumber,
  type ReleaseRecord,
} from "./release-record";

export const recordContainerName = (app: string, release: string) => `dynoform-release-${app}-${release}`;

/** The app's kept releases, oldest first. */
export async function listReleases(app: string): Promise<ReleaseRecord[]> {
  const list = await docker().listContainers({ all: true, filters: labelFilter({ [LABEL.role]: "release", [LABEL.app]: app }) });
  return list
    .map((c) => recordFromLabels(c.Labels[LABEL.release] ?? "", c.ImageID, c.Labels))
    .filter((r): r is ReleaseRecord => r !== undefined)
    .sort((a, b) => a.number - b.number);
}

/** The newest release: the one the app runs unless a deploy is under way. */
export async function latestRelease(app: string): Promise<ReleaseRecord | undefined> {
  return (await listReleases(app)).at(-1);
}

/** A release's config vars and secrets (values: for a rollback, never printed). */
export async function releaseConfig(app: string, record: ReleaseRecord): Promise<Record<string, string>> {
  const info = await docker().getContainer(recordContainerName(app, record.release)).inspect();
  return configOf(record, info.Config.Env ?? []);
}

/** Whether the engine still has this image. */
export async function imageKept(imageId: string): Promise<boolean> {
  return docker()
    .getImage(imageId)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/**
 * Records a release the provider (or a rollback) just made: what changed from the newest kept
 * one (names only), Heroku's description, whether its release phase ran.
 */
export async function recordRelease(o: {
  app: string;
  release: string;
  imageId: string;
  imageTag: string;
  sourceHash: string;
  config: Record<string, string>;
  secrets: Record<string, string>;
  releaseCommand: string;
  releasePhaseRan: boolean;
  rollbackOf?: string;
  git?: ReleaseRecord["git"];
}): Promise<ReleaseRecord> {
  const before = (await listReleases(o.app)).filter((r) => r.number < releaseNumber(o.release)).at(-1);
  const all = { ...o.config, ...o.secrets };
  const changes = releaseChanges(before && { imageId: before.imageId, config: await releaseConfig(o.app, before).catch(() => ({})) }, {
    imageId: o.imageId,
    config: all,
  });
  const record: ReleaseRecord = {
    release: o.release,
    number: releaseNumber(o.release),
    createdAt: new Date().toISOString(),
    imageId: o.imageId,
    imageTag: o.imageTag,
    sourceHash: o.sourceHash,
    configKeys: Object.keys(all).sort(),
    secretKeys: Object.keys(o.secrets).sort(),
    releaseCommand: o.releaseCommand,
    releasePhaseRan: o.releasePhaseRan,
    description: describeRelease(changes, {
      first: !before && releaseNumber(o.release) === 1,
      sourceHash: o.sourceHash,
      rollbackOf: o.rollbackOf,
    }),
    changes,
    ...(o.git ? { git: o.git } : {}),
  };
  const name = recordContainerName(o.app, o.release);
  await docker().getContainer(name).remove({ force: true }).catch(ignoreNotFound);
  await docker().createContainer({
    name,
    Image: o.imageId,
    // Never started: the command only has to exist for the engine to accept the container.
    Entrypoint: ["/bin/true"],
    Cmd: [],
    Env: Object.entries(all).map(([k, v]) => `${k}=${v}`),
    Labels: { [LABEL.managed]: "true", [LABEL.role]: "release", [LABEL.app]: o.app, [LABEL.release]: o.release, ...recordLabels(record) },
    HostConfig: { NetworkMode: "none" },
  });
  return record;
}

/**
 * Drops releases beyond the kept ones (never the live one), then the app's images that no kept
 * release, no dyno and no `keep` needs. An image a container still uses stays (Docker refuses).
 */
export async function pruneReleases(app: string, keep: string[]): Promise<void> {
  const records = await listReleases(app);
  const live = records.at(-1)?.release;
  const drop = recordsToPrune(records, live);
  for (const r of drop) await docker().getContainer(recordContainerName(app, r.release)).remove({ force: true }).catch(ignoreNotFound);
  await removeAppImages(app, [...keep, ...records.filter((r) => !drop.includes(r)).map((r) => r.imageId)]);
}

/** Removes the app's images except the ones named; an image a container still uses stays (Docker refuses). */
export async function removeAppImages(app: string, keep: string[]): Promise<void> {
  const images = await docker().listImages({ filters: labelFilter({ [LABEL.role]: "app-image", [LABEL.app]: app }) });
  for (const img of images) {
    if (keep.includes(img.Id)) continue;
    for (const tag of img.RepoTags ?? [])
      await docker()
        .getImage(tag)
        .remove()
        .catch(() => undefined);
    await docker()
      .getImage(img.Id)
      .remove()
      .catch(() => undefined);
  }
}

/** Removes every release record of the app (its destroy); the images go after. */
export async function removeReleases(app: string): Promise<void> {
  for (const r of await listReleases(app))
    await docker().getContainer(recordContainerName(app, r.release)).remove({ force: true }).catch(ignoreNotFound);
}
