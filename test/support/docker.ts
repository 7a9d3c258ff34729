import Docker from "dockerode";
import { LABEL } from "../../provider/docker/labels";
import { DYNO_MANAGER } from "../../provider/formations/dyno-manager-controller";
import { stopDyno, type DynoSpec } from "../../provider/formations/dyno-driver";
import { removeTlsVolume } from "../../provider/router/router-tls-store";

export const docker = new Docker();

/** Everything Docker holds with these labels: what "nothing left behind" is checked against. */
export async function objectsLabelled(labels: Record<string, string>) {
  const filters = { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
  const [containers, networks, images] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listImages({ filters }),
  ]);
  return {
    containers: containers.map((c) => c.Names[0]?.replace(/^\//, "") ?? c.Id),
    networks: networks.map((n) => n.Name),
    images: images.map((i) => i.RepoTags?.[0] ?? i.Id),
  };
}

/**
 * A web dyno of a test app on its app network, as the Formation provider would describe it:
 * Standard-1X's limits, release v1; `over` changes what a test needs.
 */
export function testDyno(app: string, index: number, image: string, over: Partial<DynoSpec> = {}): DynoSpec {
  return {
    app,
    processType: "web",
    index,
    release: "v1",
    size: "standard-1x",
    image,
    env: {},
    network: `dynoform-app-${app}`,
    aliases: [`web.${app}.dyno`],
    webPort: 5000,
    limits: { memoryBytes: 512 * 1024 * 1024, cpuShares: 1024, pidsLimit: 256 },
    ...over,
  };
}

/**
 * Runs `work` with the dyno manager paused, when one runs: it then replaces no crashed dyno, as a
 * Heroku cool-off would hold it, and cannot race a test that removes dynos.
 */
export async function withDynoManagerPaused<T>(work: () => Promise<T>): Promise<T> {
  const manager = docker.getContainer(DYNO_MANAGER);
  const paused = await manager
    .pause()
    .then(() => true)
    .catch(() => false);
  try {
    return await work();
  } finally {
    if (paused) await manager.unpause().catch(() => undefined);
  }
}

/** Removes what tests made for these apps: their dynos (as Dynoform stops them), networks and the images. */
export async function removeTestApps(apps: string[], images: string[] = []): Promise<void> {
  await withDynoManagerPaused(async () => {
    for (const app of apps) {
      const dynos = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${app}`] } });
      await Promise.all(dynos.map((d) => stopDyno(d.Id)));
      await docker
        .getNetwork(`dynoform-app-${app}`)
        .remove()
        .catch(() => undefined);
    }
  });
  for (const image of images) {
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

/** Removes a router a test made: its container, its network and its TLS volume. */
export async function removeTestRouter(name: string): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => undefined);
  await docker
    .getNetwork(name)
    .remove()
    .catch(() => undefined);
  await removeTlsVolume(name).catch(() => undefined);
}

/** Polls `probe` until it gives a value; fails naming `what` and the last error after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const v = await probe().catch((e) => {
      last = e;
      return undefined;
    });
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}
