/**
 * The log drains' own volume (`dynoform-log-drains`, at /var/lib/dynoform-drains), shared by the
 * dyno manager and the drain forwarder and by nothing else:
 *
 * - `drains/<token>.json`: a drain's URL and scope, written by the LogDrain provider (root-only:
 *   the URL may hold credentials), removed with the LogDrain;
 * - `spool/<token>/`: the drain's buffer (drain-spool.ts), written by the manager, read and
 *   emptied by the forwarder.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Where the drains volume is mounted in the manager and the forwarder. */
export const DRAINS_DIR = "/var/lib/dynoform-drains";
/** The folder of drain configs, relative to the volume. */
export const DRAIN_CONFIGS = "drains";

/** One drain, as the LogDrain provider writes it. */
export interface DrainConfig {
  /** Heroku's drain token, `d.<uuid>`: names the drain and is written into every line it sends. */
  token: string;
  /** The app whose lines it gets, or "" for a space-level drain. */
  app: string;
  /** The space whose apps' lines it gets, or "" for an app-level drain. */
  space: string;
  url: string;
  /** PEM of a CA to trust besides the system's (a private receiver's, or a test's); "" for none. */
  trustedCa: string;
}

export const drainConfigFile = (token: string): string => `${token}.json`;
export const spoolDir = (token: string, dir = DRAINS_DIR): string => path.join(dir, "spool", token);

/** Tokens are made by the provider; anything else in the folder is not a drain of ours. */
export const isDrainToken = (s: string): boolean => /^d\.[0-9a-f-]{36}$/.test(s);

export function loadDrainConfigs(dir = DRAINS_DIR): DrainConfig[] {
  let files: string[];
  try {
    files = fs.readdirSync(path.join(dir, DRAIN_CONFIGS)).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  const out: DrainConfig[] = [];
  for (const f of files.sort()) {
    try {
      const c = JSON.parse(fs.readFileSync(path.join(dir, DRAIN_CONFIGS, f), "utf8")) as DrainConfig;
      if (isDrainToken(c.token) && typeof c.url === "string") out.push(c);
    } catch {
      // Being written (the provider renames a whole file in) or not ours: the next look sees it.
    }
  }
  return out;
}

/** The drains that get an app's lines: its own, and its space's. */
export function drainsOf(configs: DrainConfig[], app: string, space: string | undefined): DrainConfig[] {
  return configs.filter((c) => (c.app !== "" && c.app === app) || (c.space !== "" && c.space === space));
}
