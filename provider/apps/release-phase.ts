import { docker, isNotFound } from "../docker/docker-client";
import { demuxToText } from "../docker/docker-exec";
import { LABEL } from "../docker/labels";
import { dynoHardening, releasePhasePidsLimit } from "../formations/dyno-hardening";

/** Heroku gives the release phase an hour. */
export const RELEASE_PHASE_TIMEOUT_SECONDS = 3600;

/**
 * Runs the Procfile's `release:` command once, in a one-off container with the new release's
 * image and config, before any dyno of that release starts. A non-zero exit fails the release:
 * the caller stops there, so the previous release keeps serving.
 */
export async function runReleasePhase(opts: { app: string; release: string; image: string; command: string; env: Record<string, string>; network: string; timeoutSeconds?: number }): Promise<void> {
  const name = `${opts.app}.release.${opts.release}`;
  await docker().getContainer(name).remove({ force: true }).catch((e) => {
    if (!isNotFound(e)) throw e;
  });
  const hardening = await dynoHardening(docker(), opts.image);
  const container = await docker().createContainer({
    name,
    Image: opts.image,
    User: hardening.User,
    Cmd: ["/bin/sh", "-c", opts.command],
    Env: Object.entries({ ...opts.env, DYNO: "release.1" }).map(([k, v]) => `${k}=${v}`),
    Labels: { [LABEL.managed]: "true", [LABEL.role]: "release-phase", [LABEL.app]: opts.app, [LABEL.release]: opts.release },
    HostConfig: { ...hardening.HostConfig, Init: true, PidsLimit: releasePhasePidsLimit(), NetworkMode: opts.network },
  });
  try {
    await container.start();
    const timeout = opts.timeoutSeconds ?? RELEASE_PHASE_TIMEOUT_SECONDS;
    const result = await Promise.race([
      container.wait() as Promise<{ StatusCode: number }>,
      new Promise<{ StatusCode: number }>((resolve) => setTimeout(() => resolve({ StatusCode: -1 }), timeout * 1000)),
    ]);
    if (result.StatusCode !== 0) {
      const logs = demuxToText((await container.logs({ stdout: true, stderr: true, tail: 20 })) as unknown as Buffer);
      const why = result.StatusCode === -1 ? `did not finish within ${timeout} s` : `exited with status ${result.StatusCode}`;
      throw new Error(
        `App "${opts.app}": the release phase of ${opts.release} (\`${opts.command}\`) ${why}, so ${opts.release} was not deployed and the previous release keeps serving. Last log lines:\n${logs.trimEnd().split("\n").map((l) => `  | ${l}`).join("\n")}\nFix: make the release command succeed (run it with \`dynoform run --app ${opts.app} ${opts.command}\`), then run \`pulumi up\` again`,
      );
    }
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
