import * as path from "node:path";
import * as tarFs from "tar-fs";
import { docker } from "./docker-client";

/** Names that never go into a build context (same as the source hash skips). */
const SKIP = new Set([".git", "node_modules"]);

export interface BuildResult {
  imageId: string;
  tag: string;
}

/**
 * Builds `dir` (which holds a Dockerfile) with the Docker Engine. Build output is kept so a
 * failure can show the step that failed instead of a bare "build failed".
 */
export async function buildImage(
  dir: string,
  tag: string,
  labels: Record<string, string>,
  opts: { dockerfile?: string; platform?: string; leaveOut?: (relativePath: string) => boolean } = {},
): Promise<BuildResult> {
  const generated = "Dockerfile.dynoform";
  const context = tarFs.pack(dir, {
    ignore: (name) => {
      const rel = path.relative(dir, name).split(path.sep);
      if (rel.some((part) => SKIP.has(part))) return true;
      const p = rel.join("/");
      return p !== "Dockerfile" && p !== ".dockerignore" && Boolean(opts.leaveOut?.(p));
    },
    // A generated Dockerfile (language builds) goes into the context beside the sources.
    finalize: opts.dockerfile === undefined,
    finish: (pack) => {
      if (opts.dockerfile === undefined) return;
      pack.entry({ name: generated }, opts.dockerfile);
      pack.finalize();
    },
  });
  const stream = await docker().buildImage(context, {
    t: tag,
    labels,
    rm: true,
    forcerm: true,
    ...(opts.dockerfile !== undefined ? { dockerfile: generated } : {}),
    ...(opts.platform ? { platform: opts.platform } : {}),
  });
  const log: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker().modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string; errorDetail?: { message: string } }>) => {
        const failed = err?.message ?? output.find((o) => o.error)?.error;
        if (failed) reject(new Error(`docker build of ${dir} failed: ${failed}\nlast build output:\n${log.slice(-15).join("")}`));
        else resolve();
      },
      (event: { stream?: string }) => event.stream && log.push(event.stream),
    );
  });
  const info = await docker().getImage(tag).inspect();
  return { imageId: info.Id, tag };
}

/** True when the engine already has an image with this tag. */
export async function imageExists(tag: string): Promise<boolean> {
  try {
    await docker().getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}
