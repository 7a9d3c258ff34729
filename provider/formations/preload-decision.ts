/**
 * Which dynos get the language runtime metrics preload (provider/dyno-manager/node-preload.ts),
 * and what it changes in them. Pure.
 *
 * Heroku's rule (heroku-facts §2): runtime metrics come with Standard, Performance, Private and
 * Shield sizes, not Eco or Basic. Dynoform measures Node.js only, so a dyno gets the preload when
 * its image says it is a Node.js app (the `dynoform.language=node` label Dynoform puts on images
 * it builds from a `package.json`; a Dockerfile may set it) and its size's tier has
 * `runtimeMetrics`, unless the app's config sets `DYNOFORM_RUNTIME_METRICS=false`. Nothing is put
 * into any other dyno: its env and files stay exactly the app's.
 */
import { getDynoSize } from "../../sdk/dyno-sizes";
import { ENV } from "../../sdk/settings";
import { LABEL } from "../docker/labels";
import { PRELOAD_PATH } from "../dyno-manager/node-preload";

/** What a dyno that gets the preload gets: env changes and labels for the dyno manager. */
export interface PreloadDecision {
  env: Record<string, string>;
  labels: Record<string, string>;
}

/** The flag that loads the preload (added to `NODE_OPTIONS`). */
export const PRELOAD_FLAG = `--require ${PRELOAD_PATH}`;

/**
 * The preload for a dyno of `size` running an image with `imageLabels`, the app's `env` given:
 * undefined when it gets none. The app's own `NODE_OPTIONS` is kept, the flag added after it.
 */
export function preloadFor(
  imageLabels: Record<string, string> | null | undefined,
  size: string,
  env: Record<string, string>,
): PreloadDecision | undefined {
  if (imageLabels?.[LABEL.language] !== "node") return undefined;
  if (!getDynoSize(size)?.features.runtimeMetrics) return undefined;
  if (env[ENV.runtimeMetrics]?.trim().toLowerCase() === "false") return undefined;
  const own = (env.NODE_OPTIONS ?? "").trim();
  return {
    env: { NODE_OPTIONS: own ? `${own} ${PRELOAD_FLAG}` : PRELOAD_FLAG },
    labels: { [LABEL.runtimeMetrics]: "node" },
  };
}

/** A dyno's `NODE_OPTIONS=…` env entry as the app set it (the preload's flag taken off), for comparing with config. */
export function withoutPreload(envEntry: string): string {
  if (!envEntry.startsWith("NODE_OPTIONS=")) return envEntry;
  return envEntry.replace(` ${PRELOAD_FLAG}`, "").replace(PRELOAD_FLAG, "");
}
