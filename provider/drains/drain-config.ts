import * as path from "node:path";
import { docker } from "../docker/docker-client";
import { execIn, putFiles } from "../docker/docker-exec";
import { DRAIN_CONFIGS, DRAINS_DIR, drainConfigFile, spoolDir, type DrainConfig } from "../dyno-manager/drain-store";
import { DYNO_MANAGER } from "../formations/dyno-manager-controller";

/**
 * Hands a drain to the dyno manager and the forwarder: its config file on the drains volume,
 * written through the manager's container, readable by root only (the URL may hold a token).
 */
export async function writeDrainConfig(config: DrainConfig): Promise<void> {
  await putFiles(
    docker().getContainer(DYNO_MANAGER),
    DRAINS_DIR,
    { [`${DRAIN_CONFIGS}/${drainConfigFile(config.token)}`]: JSON.stringify(config) },
    { private: true },
  );
}

/** The drain's config as the manager holds it, or undefined when it is gone (or no manager runs). */
export async function readDrainConfig(token: string): Promise<DrainConfig | undefined> {
  const { exitCode, output } = await execIn(docker().getContainer(DYNO_MANAGER), [
    "cat",
    path.posix.join(DRAINS_DIR, DRAIN_CONFIGS, drainConfigFile(token)),
  ]).catch(() => ({ exitCode: 1, output: "" }));
  if (exitCode !== 0) return undefined;
  try {
    return JSON.parse(output) as DrainConfig;
  } catch {
    return undefined;
  }
}

/** Takes the drain away with what it had buffered; no manager running means nothing is left to take. */
export async function removeDrainConfig(token: string): Promise<void> {
  await execIn(docker().getContainer(DYNO_MANAGER), [
    "rm",
    "-rf",
    path.posix.join(DRAINS_DIR, DRAIN_CONFIGS, drainConfigFile(token)),
    spoolDir(token),
  ]).catch(() => undefined);
}
