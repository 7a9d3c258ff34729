/**
 * `dynoform rollback --app NAME vN`, as Heroku's: a new release made from release N's image and
 * config (its release phase runs, as on Heroku), and the app's dynos swapped to it — each a
 * fresh container, web dynos one at a time out of the router, as `dynoform restart` does. No
 * build: the image is kept with the release (release-history.ts). Outside the program, so the
 * next `preview` shows the App as changed and `up` makes a new release of what the program says.
 */
import { restartDynos, appDynos, type RestartReporter } from "../formations/dyno-restart";
import { runReleasePhase } from "./release-phase";
import { imageKept, listReleases, pruneReleases, recordRelease, releaseConfig } from "./release-history";
import { releaseNumber, rollbackProblem, type ReleaseRecord } from "./release-record";
import { docker } from "../docker/docker-client";
import { LABEL, labelFilter } from "../docker/labels";

/** Makes the rollback release and swaps the dynos to it; throws, changing nothing, when it cannot. */
export async function rollback(app: string, target: string, report: RestartReporter = () => undefined): Promise<ReleaseRecord> {
  const records = await listReleases(app);
  const images = new Map(await Promise.all(records.map(async (r) => [r.imageId, await imageKept(r.imageId)] as const)));
  const problem = rollbackProblem(app, target, records, (id) => images.get(id) === true);
  if (problem) throw new Error(problem);
  const from = records.find((r) => r.release === target)!;
  const config = await releaseConfig(app, from);
  const secrets = Object.fromEntries(Object.entries(config).filter(([k]) => from.secretKeys.includes(k)));
  const plain = Object.fromEntries(Object.entries(config).filter(([k]) => !from.secretKeys.includes(k)));
  const dynos = await docker().listContainers({ all: true, filters: labelFilter({ [LABEL.role]: "dyno", [LABEL.app]: app }) });
  const next = 1 + Math.max(0, ...records.map((r) => r.number), ...dynos.map((d) => releaseNumber(d.Labels[LABEL.release] ?? "")));
  const release = `v${next}`;
  if (from.releaseCommand) {
    report(`Running the release phase of ${release}: ${from.releaseCommand}`);
    await runReleasePhase({ app, release, image: from.imageId, command: from.releaseCommand, env: config, network: `dynoform-app-${app}` });
  }
  const made = await recordRelease({
    app,
    release,
    imageId: from.imageId,
    imageTag: from.imageTag,
    sourceHash: from.sourceHash,
    config: plain,
    secrets,
    releaseCommand: from.releaseCommand,
    releasePhaseRan: Boolean(from.releaseCommand),
    rollbackOf: target,
    git: from.git,
  });
  report(`${release}: Rollback to ${target}`);
  if ((await appDynos(app)).length > 0)
    await restartDynos(app, {}, { swap: { release, image: from.imageId, config }, report, reason: `Rollback to ${target}` });
  await pruneReleases(app, [from.imageId]);
  return made;
}
