import Docker from "dockerode";

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
