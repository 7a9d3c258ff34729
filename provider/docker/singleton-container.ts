import type Docker from "dockerode";
import { docker, ignoreConflictOrNoop, ignoreNotFound } from "./docker-client";

/** One named container per engine that several processes may ensure at once. */
export interface SingletonContainer {
  name: string;
  /** Whether an existing container is the one wanted (its image, its settings); if not, it is replaced. */
  matches?: (info: Docker.ContainerInspectInfo) => boolean;
  /** Made just before the container is created (an image, a volume). */
  prepare?: () => Promise<void>;
  /** The container to create, without its name. */
  create: () => Omit<Docker.ContainerCreateOptions, "name"> | Promise<Omit<Docker.ContainerCreateOptions, "name">>;
}

/**
 * Makes sure the container exists, is the wanted one and runs. Safe when other processes do the
 * same at the same moment: a name taken meanwhile or a start already done counts as done.
 */
export async function ensureSingletonContainer(spec: SingletonContainer): Promise<Docker.Container> {
  const container = docker().getContainer(spec.name);
  const info = await container.inspect().catch(ignoreNotFound);
  if (info && (spec.matches?.(info) ?? true)) {
    if (!info.State.Running) await container.start().catch(ignoreConflictOrNoop);
    return container;
  }
  if (info) await container.remove({ force: true }).catch(ignoreNotFound);
  await spec.prepare?.();
  await docker()
    .createContainer({ ...(await spec.create()), name: spec.name })
    .catch(ignoreConflictOrNoop);
  await container.start().catch(ignoreConflictOrNoop);
  return container;
}
