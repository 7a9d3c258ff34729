import Docker from "dockerode";
import type { SwarmEngine } from "../../sdk/engine";

const clients = new Map<string, Docker>();

/** Dockerode's options for a manager address: `tcp://host:port` (TLS when certificates are given) or `unix:///path`. */
export function clientOptions(engine: Pick<SwarmEngine, "host" | "tls">): Docker.DockerOptions {
  if (engine.host.startsWith("unix://")) return { socketPath: engine.host.slice("unix://".length) };
  const u = new URL(engine.host.replace(/^tcp:/, "http:"));
  const tls = engine.tls;
  return {
    host: u.hostname,
    port: Number(u.port || (tls ? 2376 : 2375)),
    protocol: tls ? "https" : "http",
    ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}),
  };
}

/** The Swarm manager's Docker API, one client per address in a process. */
export function clusterDocker(engine: SwarmEngine): Docker {
  const key = engine.host;
  let c = clients.get(key);
  if (!c) {
    c = new Docker(clientOptions(engine));
    clients.set(key, c);
  }
  return c;
}

/** Turns a connection failure into a message that names the cluster and the fix. */
export function unreachable(what: string, engine: SwarmEngine, e: unknown): Error {
  const err = e as Error & { code?: string; statusCode?: number };
  if (err.statusCode) return err;
  return new Error(
    `${what}: the Swarm manager at ${engine.host} did not answer (${err.code ?? err.message}). Fix: check stack config dynoform:swarmHost (and the TLS client certificates for a remote API), and that the manager is up`,
  );
}

/**
 * The dyno services (of one app, or all) when `d` is a Swarm manager; none otherwise, so the CLI
 * asks this first and falls back to the engine's containers (`DOCKER_HOST` decides which it talks to).
 */
export async function swarmDynoServices(d: Docker, app?: string): Promise<Docker.Service[]> {
  const info = await d.info().catch(() => undefined);
  if (!info?.Swarm?.ControlAvailable) return [];
  return d.listServices({ filters: { label: ["dynoform.role=dyno", ...(app ? [`dynoform.app=${app}`] : [])] } });
}
