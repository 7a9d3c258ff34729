import type Docker from "dockerode";
import { docker, ignoreNotFound } from "../docker/docker-client";
import { demuxToText } from "../docker/docker-exec";
import { LABEL, labelFilter } from "../docker/labels";
import { dynoHardening, releasePhasePidsLimit } from "../formations/dyno-hardening";

/** Heroku gives the release phase an hour. */
export const RELEASE_PHASE_TIMEOUT_SECONDS = 3600;

/** `v7` → `release.7`: the release phase's dyno name, as Heroku's log shows it (`app[release.7]`). */
export function releaseDynoName(release: string): string {
  return `release.${release.replace(/^v/, "")}`;
}

/**
 * Removes the app's kept release phase containers (their output): before the next release phase
 * replaces it, and when the app is destroyed.
 */
export async function removeReleasePhaseOutput(app: string, engine: Docker = docker()): Promise<void> {
  const kept = await engine.listContainers({ all: true, filters: labelFilter({ [LABEL.role]: "release-phase", [LABEL.app]: app }) });
  for (const c of kept) {
    await engine.getContainer(c.Id).remove({ force: true }).catch(ignoreNotFound);
  }
}

/**
 * Runs the Procfile's `release:` command once, in a one-off container with the new release's
 * image and config, before any dyno of that release starts. A non-zero exit fails the release:
 * the caller stops there, so the previous release keeps serving.
 *
 * The stopped container stays (labelled, named `<app>.release.<release>`) until the next release
 * phase or the app's destroy, so `dynoform logs` shows its output as `app[release.N]` whether it
 * succeeded or failed, as Heroku's log does.
 */
export async function runReleasePhase(opts: {
  app: string;
  release: string;
  image: string;
  command: string;
  env: Record<string, string>;
  network: string;
  timeoutSeconds?: number;
  /** Where it runs: this machine's engine, or a Swarm manager (attached to the app's overlay). */
  engine?: Docker;
}): Promise<void> {
  const engine = opts.engine ?? docker();
  const name = `${opts.app}.release.${opts.release}`;
  const dyno = releaseDynoName(opts.release);
  await removeReleasePhaseOutput(opts.app, engine);
  await engine.getContainer(name).remove({ force: true }).catch(ignoreNotFound);
  const hardening = await dynoHardening(engine, opts.image);
  const container = await engine.createContainer({
    name,
    Image: opts.image,
    User: hardening.User,
    Cmd: ["/bin/sh", "-c", opts.command],
    Env: Object.entries({ ...opts.env, DYNO: dyno }).map(([k, v]) => `${k}=${v}`),
    Labels: {
      [LABEL.managed]: "true",
      [LABEL.role]: "release-phase",
      [LABEL.app]: opts.app,
      [LABEL.release]: opts.release,
      [LABEL.dyno]: dyno,
    },
    HostConfig: { ...hardening.HostConfig, Init: true, PidsLimit: releasePhasePidsLimit(), NetworkMode: opts.network },
  });
  try {
    await container.start();
  } catch (e) {
    await container.remove({ force: true }).catch(() => undefined);
    throw e;
  }
  const timeout = opts.timeoutSeconds ?? RELEASE_PHASE_TIMEOUT_SECONDS;
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    container.wait() as Promise<{ StatusCode: number }>,
    new Promise<{ StatusCode: number }>((resolve) => (timer = setTimeout(() => resolve({ StatusCode: -1 }), timeout * 1000))),
  ]).finally(() => clearTimeout(timer));
  // Stopped, not removed: its output is the release's log.
  if (result.StatusCode === -1) await container.kill().catch(() => undefined);
  if (result.StatusCode !== 0) {
    const logs = demuxToText((await container.logs({ stdout: true, stderr: true, tail: 20 })) as unknown as Buffer);
    const why = result.StatusCode === -1 ? `did not finish within ${timeout} s` : `exited with status ${result.StatusCode}`;
    throw new Error(
      `App "${opts.app}": the release phase of ${opts.release} (\`${opts.command}\`) ${why}, so ${opts.release} was not deployed and the previous release keeps serving. Last log lines (all of them: \`dynoform logs --app ${opts.app} --dyno ${dyno}\`):\n${logs
        .trimEnd()
        .split("\n")
        .map((l) => `  | ${l}`)
        .join(
          "\n",
        )}\nFix: make the release command succeed (run it with \`dynoform run --app ${opts.app} '${opts.command}'\`), then run \`pulumi up\` again`,
    );
  }
}
