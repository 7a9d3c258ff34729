import * as pulumi from "@pulumi/pulumi";

/**
 * Where a stack's dynos run: the local Docker Engine (the default) or a Docker Swarm cluster.
 * Read from stack config once per program; recorded in each resource's state (`engine`), so
 * `refresh` and `destroy` reach the same cluster later from any machine.
 */
export interface SwarmEngine {
  kind: "swarm";
  /** The manager's Docker API: `tcp://host:2376` (with `tls`), `tcp://host:2375`, or `unix:///path`. */
  host: string;
  /** PEM client certificate, key and CA for a remote API (`dockerd --tlsverify`); secret config. */
  tls?: { ca: string; cert: string; key: string };
  /** The registry the nodes pull app images from. */
  registry: SwarmRegistry;
}

/** An image registry: this machine pushes to `push`, the nodes pull from `pull` (often the same). */
export interface SwarmRegistry {
  push: string;
  pull: string;
  username?: string;
  password?: string;
  /**
   * No `dynoform:registry` given: Dynoform runs one on the cluster (provider/engine/cluster-registry.ts)
   * and pushes through this manager; `push`/`pull` are then empty (`pull` is
   * `dynoform:registryPullAddress` when set).
   */
  onCluster?: { host: string; tls?: SwarmEngine["tls"] };
}

/** The stack config keys (namespace `dynoform`), as `pulumi config set dynoform:<key>` takes them. */
export const ENGINE_CONFIG = {
  engine: "engine",
  swarmHost: "swarmHost",
  swarmTlsCa: "swarmTlsCa",
  swarmTlsCert: "swarmTlsCert",
  swarmTlsKey: "swarmTlsKey",
  registry: "registry",
  registryPullAddress: "registryPullAddress",
  registryUsername: "registryUsername",
  registryPassword: "registryPassword",
} as const;

/** Reads a stack's engine from plain values (keys of {@link ENGINE_CONFIG}); undefined is one Docker Engine. */
export function engineFromConfig(get: (key: string) => string | undefined): SwarmEngine | undefined {
  const kind = get(ENGINE_CONFIG.engine) ?? "docker";
  if (kind === "docker") return undefined;
  if (kind !== "swarm")
    throw new Error(
      `Stack config dynoform:engine is "${kind}": it must be "docker" (the default) or "swarm". Fix: pulumi config set dynoform:engine swarm`,
    );
  const host = get(ENGINE_CONFIG.swarmHost);
  if (!host || !/^(tcp|unix):\/\/\S+$/.test(host))
    throw new Error(
      `Stack config dynoform:swarmHost is ${host ? `"${host}"` : "not set"}: dynoform:engine swarm needs the manager's Docker API as tcp://host:port or unix:///path. Fix: pulumi config set dynoform:swarmHost tcp://manager:2376`,
    );
  const registry = get(ENGINE_CONFIG.registry);
  const tlsParts = [ENGINE_CONFIG.swarmTlsCa, ENGINE_CONFIG.swarmTlsCert, ENGINE_CONFIG.swarmTlsKey].map(get);
  const someTls = tlsParts.some(Boolean);
  if (someTls && !tlsParts.every(Boolean))
    throw new Error(
      "Stack config: dynoform:swarmTlsCa, dynoform:swarmTlsCert and dynoform:swarmTlsKey go together (a client certificate, its key and the CA). Fix: set all three with `pulumi config set --secret`",
    );
  const [ca, cert, key] = tlsParts as string[];
  const username = get(ENGINE_CONFIG.registryUsername);
  const password = get(ENGINE_CONFIG.registryPassword);
  const tls = someTls ? { tls: { ca, cert, key } } : {};
  if (!registry)
    return {
      kind: "swarm",
      host,
      ...tls,
      registry: { push: "", pull: get(ENGINE_CONFIG.registryPullAddress) || "", onCluster: { host, ...tls } },
    };
  return {
    kind: "swarm",
    host,
    ...tls,
    registry: {
      push: registry,
      pull: get(ENGINE_CONFIG.registryPullAddress) || registry,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
    },
  };
}

/** The engine of the running program's stack (stack config `dynoform:*`). */
export function stackEngine(): SwarmEngine | undefined {
  const cfg = new pulumi.Config("dynoform");
  return engineFromConfig((k) => cfg.get(k));
}

/**
 * The engine as a resource input: absent for one Docker Engine (so those states stay as they
 * were), secret when it holds a key or a password.
 */
export function engineInput(engine = stackEngine()): pulumi.Input<SwarmEngine> | undefined {
  if (!engine) return undefined;
  return engine.tls || engine.registry.password ? pulumi.secret(engine) : engine;
}

/**
 * Fails the program for a resource kind that does not run on a Swarm yet, saying so, instead of
 * making it on the local engine where the cluster's apps cannot use it.
 */
export function refuseOnSwarm(kind: string, name: string, why: string): void {
  const engine = stackEngine();
  if (!engine) return;
  throw new pulumi.RunError(
    `${kind} "${name}": ${why} Fix: remove it from this stack, or run the stack on one Docker Engine (dynoform:engine docker)`,
  );
}
