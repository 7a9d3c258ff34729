/**
 * A one-off dyno on a Swarm (pure): made from the app's process type service as the manager holds
 * it, so it runs the current release (image by digest, config, secrets, size) on the app's
 * networks. It runs as a plain container on the manager, attached to the app's overlay (an
 * attachable network): a container can be attached to a terminal and fed stdin, a Swarm task
 * cannot, and the overlay reaches the dynos on every node.
 */
import { getDynoSize } from "../../sdk/dyno-sizes";
import { LABEL } from "../docker/labels";

/** What a one-off dyno is made from: the current release of the app as its dynos run it. */
export interface OneOffTemplate {
  image: string;
  /** The dynos' environment without `PORT` and `DYNO` (the one-off gets `DYNO=run.N`). */
  env: string[];
  release: string;
  size?: string;
  /** A Shield Space's app: one-off dynos are not allowed there. */
  shield: boolean;
  limits: { Memory?: number; MemorySwap?: number; CpuShares?: number; PidsLimit?: number };
  /** The app's network first (the container's `NetworkMode`), then any other (a Space's). */
  networks: string[];
}

/** The part of a Swarm `ServiceSpec` a one-off dyno reads. */
export interface ServiceForOneOff {
  Labels?: Record<string, string>;
  TaskTemplate?: {
    ContainerSpec?: { Image?: string; Env?: string[] };
    Resources?: { Limits?: { MemoryBytes?: number; Pids?: number } };
    Networks?: Array<{ Target: string }>;
  };
}

/** The dynos' environment without what a one-off dyno does not inherit: it listens on no port and has a name of its own. */
export function oneOffEnv(env: string[]): string[] {
  return env.filter((e) => !e.startsWith("PORT=") && !e.startsWith("DYNO="));
}

/** The one-off template of a process type's service (web preferred by the caller, as Heroku's `run` does). */
export function oneOffFromService(spec: ServiceForOneOff): OneOffTemplate {
  const labels = spec.Labels ?? {};
  const c = spec.TaskTemplate?.ContainerSpec ?? {};
  const limits = spec.TaskTemplate?.Resources?.Limits ?? {};
  const size = labels[LABEL.size] ? getDynoSize(labels[LABEL.size]) : undefined;
  const memory = limits.MemoryBytes ?? size?.docker.memoryBytes;
  return {
    image: c.Image ?? "",
    env: oneOffEnv(c.Env ?? []),
    release: labels[LABEL.release] ?? "",
    size: labels[LABEL.size],
    shield: labels[LABEL.shield] === "true",
    limits: {
      ...(memory ? { Memory: memory, MemorySwap: memory } : {}),
      ...(size ? { CpuShares: size.docker.cpuShares } : {}),
      ...((limits.Pids ?? size?.docker.pidsLimit) ? { PidsLimit: limits.Pids ?? size?.docker.pidsLimit } : {}),
    },
    networks: (spec.TaskTemplate?.Networks ?? []).map((n) => n.Target),
  };
}
