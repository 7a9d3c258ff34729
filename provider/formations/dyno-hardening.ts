import type Docker from "dockerode";
import { APP_USER } from "../../sdk/buildpacks";
import { getDynoSize } from "../../sdk/dyno-sizes";

/**
 * What every container that runs app code gets (web and worker dynos, the release phase,
 * `dynoform run` one-offs): one place, so the three cannot drift apart.
 *
 * - An unprivileged user (uid 10000, gid 10000). An image that names no `USER` runs as {@link DYNO_USER}; a
 *   Dockerfile's own `USER` is kept (the buildpack images name `dyno`, uid 10000).
 * - No capabilities at all ({@link KEPT_CAPABILITIES} is empty): a web dyno listens on `$PORT`
 *   (5000, above 1024, so not even NET_BIND_SERVICE), and an unprivileged process has no use for
 *   the rest. An image whose `USER` is root keeps uid 0 but none of root's powers: no mount, no
 *   modules, no raw sockets, no chown of others' files, no setuid.
 * - `no-new-privileges`: setuid binaries (su, mount, passwd) and file capabilities cannot raise
 *   a dyno's privileges again.
 * - The engine's default seccomp profile and, where the host has AppArmor, its `docker-default`
 *   profile: both apply to every container unless turned off, and nothing here turns them off.
 * - The size's process limit (dynos and one-offs carry it; the release phase gets {@link RELEASE_PHASE_SIZE}'s).
 */
export const DYNO_USER = `${APP_USER.uid}:${APP_USER.uid}`;

/** Capabilities a dyno keeps after dropping ALL. */
export const KEPT_CAPABILITIES: readonly string[] = [];

/** The release phase runs with the limits of this size (Heroku runs it on a one-off dyno). */
export const RELEASE_PHASE_SIZE = "standard-1x";

/** The hardening part of a container's create options. */
export interface DynoHardening {
  /** Undefined: the image's own USER. */
  User?: string;
  HostConfig: { CapDrop: string[]; CapAdd: string[]; SecurityOpt: string[] };
}

/** Pure: the options for an image whose `USER` is `imageUser` ("" when it names none). */
export function hardeningFor(imageUser: string | undefined): DynoHardening {
  return {
    ...(imageUser ? {} : { User: DYNO_USER }),
    HostConfig: { CapDrop: ["ALL"], CapAdd: [...KEPT_CAPABILITIES], SecurityOpt: ["no-new-privileges=true"] },
  };
}

/** The options for `image`, looked up on the engine. */
export async function dynoHardening(docker: Docker, image: string): Promise<DynoHardening> {
  const info = await docker.getImage(image).inspect();
  return hardeningFor(info.Config?.User);
}

/** The release phase's process limit. */
export function releasePhasePidsLimit(): number {
  return getDynoSize(RELEASE_PHASE_SIZE)!.docker.pidsLimit;
}
