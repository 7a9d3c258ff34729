import type Docker from "dockerode";

/**
 * Pulls an image onto a Swarm manager unless it has it: a one-off dyno or the release phase runs
 * there as a plain container, and the manager may run none of the app's dynos. `auth` is the
 * registry login (the manager hands it to the nodes with each service; a plain pull needs it too).
 */
export async function pullOnManager(docker: Docker, image: string, auth?: object): Promise<void> {
  const present = () =>
    docker
      .getImage(image)
      .inspect()
      .then(
        () => true,
        () => false,
      );
  if (await present()) return;
  let why = "the engine did not keep it";
  try {
    const stream = await docker.pull(image, auth ? { authconfig: auth } : {});
    const events = await new Promise<Array<{ error?: string }>>((resolve, reject) =>
      docker.modem.followProgress(stream, (err, out) => (err ? reject(err) : resolve(out))),
    );
    why = events.find((e) => e.error)?.error ?? why;
  } catch (e) {
    why = (e as Error).message;
  }
  if (!(await present()))
    throw new Error(
      `pulling the app's image ${image} onto the Swarm manager failed: ${why}. Fix: the manager must pull from the cluster's registry as the nodes do (TLS, or "insecure-registries" in its daemon.json); for a registry that wants a login, check dynoform:registryUsername/registryPassword, or (for \`dynoform run\`) \`docker login\` and \`docker pull\` the image on the manager once`,
    );
}
