/**
 * Heroku's releases (`heroku releases`, `heroku rollback`), as records: what each release was
 * made of and what it changed. Pure: provider/apps/release-history.ts keeps them in Docker.
 *
 * A record never holds a config value in its labels: only the names of the config vars added,
 * changed and removed. The values (needed to roll back) are in the record container's
 * environment, as they are in every dyno's.
 */
import type { GitCommit } from "../../sdk/git-source";

/** How many releases are kept, each with its image, for `up` of a reverted program and `rollback`. */
export const RELEASES_KEPT = 5;

/** What changed from the release before. */
export interface ReleaseChanges {
  /** The image changed (a new source, or another prebuilt image). */
  image: boolean;
  added: string[];
  changed: string[];
  removed: string[];
}

/** One release, as `dynoform releases` shows it and `rollback` uses it. */
export interface ReleaseRecord {
  /** `v7`. */
  release: string;
  number: number;
  createdAt: string;
  imageId: string;
  /** The image's tag when it was made (`dynoform/app-shop:<source hash>`, or the prebuilt reference). */
  imageTag: string;
  sourceHash: string;
  /** Names of the config vars (secrets included), to tell them from the image's own environment. */
  configKeys: string[];
  /** Names of the secret ones: shown as secret, never with a value. */
  secretKeys: string[];
  /** The Procfile's `release:` command of this release ("" without one). */
  releaseCommand: string;
  /** Whether the release phase ran (and succeeded: a failed one makes no release). */
  releasePhaseRan: boolean;
  /** For a git source: the repository (no credentials), the ref and the commit built. */
  git?: GitCommit;
  /** `Deploy 3f2a1c4b`, `Set GREETING config vars`, `Rollback to v2`. */
  description: string;
  changes: ReleaseChanges;
}

/** The labels a record carries (role, app and names are added by the history). */
export const RECORD_LABEL = {
  createdAt: "dynoform.release-created",
  imageTag: "dynoform.image-tag",
  sourceHash: "dynoform.source-hash",
  configKeys: "dynoform.config-keys",
  secretKeys: "dynoform.secret-keys",
  releaseCommand: "dynoform.release-command",
  releasePhase: "dynoform.release-phase",
  description: "dynoform.description",
  changes: "dynoform.changes",
  gitRepository: "dynoform.git-repository",
  gitRef: "dynoform.git-ref",
  gitCommit: "dynoform.git-commit",
} as const;

export const releaseNumber = (release: string) => Number(release.replace(/^v/, "")) || 0;

/** What one release changed from the one before it (values compared here, never kept). */
export function releaseChanges(
  before: { imageId: string; config: Record<string, string> } | undefined,
  after: { imageId: string; config: Record<string, string> },
): ReleaseChanges {
  if (!before) return { image: true, added: Object.keys(after.config).sort(), changed: [], removed: [] };
  const keys = (o: Record<string, string>) => Object.keys(o).sort();
  return {
    image: before.imageId !== after.imageId,
    added: keys(after.config).filter((k) => !(k in before.config)),
    changed: keys(after.config).filter((k) => k in before.config && before.config[k] !== after.config[k]),
    removed: keys(before.config).filter((k) => !(k in after.config)),
  };
}

/** Heroku's description of a release. */
export function describeRelease(changes: ReleaseChanges, opts: { first?: boolean; sourceHash?: string; rollbackOf?: string }): string {
  if (opts.rollbackOf) return `Rollback to ${opts.rollbackOf}`;
  if (opts.first) return "Initial release";
  const parts: string[] = [];
  if (changes.image) parts.push(`Deploy ${(opts.sourceHash ?? "").replace(/^.*[:@]/, "").slice(0, 8)}`);
  const set = [...changes.added, ...changes.changed];
  if (set.length) parts.push(`Set ${set.join(", ")} config vars`);
  if (changes.removed.length) parts.push(`Remove ${changes.removed.join(", ")} config vars`);
  return parts.join("; ") || "No change";
}

/** The record's labels. */
export function recordLabels(r: ReleaseRecord): Record<string, string> {
  return {
    [RECORD_LABEL.createdAt]: r.createdAt,
    [RECORD_LABEL.imageTag]: r.imageTag,
    [RECORD_LABEL.sourceHash]: r.sourceHash,
    [RECORD_LABEL.configKeys]: r.configKeys.join(","),
    [RECORD_LABEL.secretKeys]: r.secretKeys.join(","),
    [RECORD_LABEL.releaseCommand]: r.releaseCommand,
    [RECORD_LABEL.releasePhase]: r.releasePhaseRan ? "ran" : "none",
    [RECORD_LABEL.description]: r.description,
    [RECORD_LABEL.changes]: JSON.stringify(r.changes),
    ...(r.git
      ? { [RECORD_LABEL.gitRepository]: r.git.repository, [RECORD_LABEL.gitRef]: r.git.ref, [RECORD_LABEL.gitCommit]: r.git.commit }
      : {}),
  };
}

/** A record back from its container's labels and image; undefined for what is no record. */
export function recordFromLabels(release: string, imageId: string, labels: Record<string, string>): ReleaseRecord | undefined {
  if (!/^v\d+$/.test(release)) return undefined;
  const list = (k: string) => (labels[k] ?? "").split(",").filter(Boolean);
  let changes: ReleaseChanges = { image: false, added: [], changed: [], removed: [] };
  try {
    changes = { ...changes, ...JSON.parse(labels[RECORD_LABEL.changes] ?? "{}") };
  } catch {
    // An unreadable change list shows as no change; the record still rolls back.
  }
  return {
    release,
    number: releaseNumber(release),
    createdAt: labels[RECORD_LABEL.createdAt] ?? "",
    imageId,
    imageTag: labels[RECORD_LABEL.imageTag] ?? "",
    sourceHash: labels[RECORD_LABEL.sourceHash] ?? "",
    configKeys: list(RECORD_LABEL.configKeys),
    secretKeys: list(RECORD_LABEL.secretKeys),
    releaseCommand: labels[RECORD_LABEL.releaseCommand] ?? "",
    releasePhaseRan: labels[RECORD_LABEL.releasePhase] === "ran",
    description: labels[RECORD_LABEL.description] ?? "",
    changes,
    ...(labels[RECORD_LABEL.gitCommit]
      ? {
          git: {
            repository: labels[RECORD_LABEL.gitRepository] ?? "",
            ref: labels[RECORD_LABEL.gitRef] ?? "",
            commit: labels[RECORD_LABEL.gitCommit],
          },
        }
      : {}),
  };
}

/** The config of a record, from its container's environment (which also holds the image's own variables). */
export function configOf(record: Pick<ReleaseRecord, "configKeys">, env: string[]): Record<string, string> {
  const keys = new Set(record.configKeys);
  const config: Record<string, string> = {};
  for (const e of env) {
    const i = e.indexOf("=");
    if (i > 0 && keys.has(e.slice(0, i))) config[e.slice(0, i)] = e.slice(i + 1);
  }
  return config;
}

/** The records to drop: all but the newest `kept`, never the live one. */
export function recordsToPrune(records: ReleaseRecord[], live: string | undefined, kept = RELEASES_KEPT): ReleaseRecord[] {
  const newestFirst = [...records].sort((a, b) => b.number - a.number);
  return newestFirst.slice(kept).filter((r) => r.release !== live);
}

/** Why a rollback cannot happen, or undefined: release missing or its image gone. */
export function rollbackProblem(
  app: string,
  target: string,
  records: ReleaseRecord[],
  imageExists: (id: string) => boolean,
): string | undefined {
  const kept = [...records].sort((a, b) => b.number - a.number).map((r) => r.release);
  if (!/^v\d+$/.test(target))
    return `"${target}" is not a release. Fix: give a version as \`dynoform releases --app ${app}\` lists them, e.g. v3`;
  if (records.length === 0)
    return `app "${app}" has no releases on this Docker Engine, so there is nothing to roll back to. Fix: check the app's name (\`dynoform ps --app ${app}\`), or deploy it with \`pulumi up\` first`;
  const record = records.find((r) => r.release === target);
  if (!record)
    return `app "${app}" has no release ${target} kept (kept: ${kept.join(", ")}; the last ${RELEASES_KEPT} are). Fix: roll back to one of those, or revert the program and run \`pulumi up\``;
  if (!imageExists(record.imageId))
    return `release ${target} of app "${app}" cannot be rolled back to: its image ${record.imageId.slice(7, 19)} is gone from the Docker Engine (removed by hand?). Fix: roll back to another kept release, or revert the program and run \`pulumi up\` to build it again`;
  return undefined;
}

/**
 * One line of a record's changes: `image 3f2a…; +NEW ~GREETING -OLD` (`commit 3f2a… main` for a
 * git source), secret names marked, never values.
 */
export function formatChanges(r: ReleaseRecord): string {
  const secret = new Set(r.secretKeys);
  const name = (k: string) => (secret.has(k) ? `${k} (secret)` : k);
  const parts: string[] = [];
  if (r.changes.image && r.git) parts.push(`commit ${r.git.commit.slice(0, 12)} ${r.git.ref}`);
  else if (r.changes.image) parts.push(`image ${r.sourceHash.replace(/^.*[:@]/, "").slice(0, 12) || r.imageId.slice(7, 19)}`);
  parts.push(
    ...r.changes.added.map((k) => `+${name(k)}`),
    ...r.changes.changed.map((k) => `~${name(k)}`),
    ...r.changes.removed.map((k) => `-${name(k)}`),
  );
  return parts.join(" ") || "-";
}

/** `dynoform releases`: newest first, as Heroku's `releases`. */
export function formatReleases(
  app: string,
  records: ReleaseRecord[],
  live: string | undefined,
  imageKept: (id: string) => boolean,
): string {
  if (records.length === 0) return `${app} has no releases.\n`;
  const rows = [["VERSION", "CREATED", "DESCRIPTION", "CHANGES", "RELEASE PHASE", "IMAGE"]];
  for (const r of [...records].sort((a, b) => b.number - a.number)) {
    rows.push([
      `${r.release}${r.release === live ? " (current)" : ""}`,
      r.createdAt.replace(/\.\d+Z$/, "Z"),
      r.description,
      formatChanges(r),
      r.releasePhaseRan ? "ran" : r.releaseCommand ? "not run" : "none",
      imageKept(r.imageId) ? `kept (${r.imageId.slice(7, 19)})` : "gone",
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const table = rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n");
  return `=== ${app} releases (the last ${RELEASES_KEPT} are kept, with their images)\n${table}\n`;
}
