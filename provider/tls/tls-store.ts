/**
 * Where a router keeps its custom domains, certificates, pending ACME challenges and redirects,
 * whatever the engine: files in the router's TLS volume on one Docker Engine, Swarm configs and
 * secrets on a cluster (engine/swarm-tls-store.ts). The Domain and Certificate providers speak
 * only to this, so the ACME order, renewal and checks are one code for both engines.
 */
import type { SwarmEngine } from "../../sdk/engine";
import { LABEL, labelFilter } from "../docker/labels";
import type { TlsState } from "./router-tls";

/** One place a router listens, as a client reaches it. */
export interface RouterEndpoint {
  host: string;
  port: number;
}

export interface TlsStore {
  /** The store's files read back; undefined when there is no router yet. */
  state(): Promise<TlsState | undefined>;
  /** Writes files (paths as in `tlsFile`) and returns once the router renders them. */
  write(files: Record<string, string>): Promise<void>;
  remove(names: string[]): Promise<void>;
  /** Every router replica's plain-HTTP and HTTPS listeners (HTTPS empty when none is published). */
  endpoints(): Promise<{ http: RouterEndpoint[]; https: RouterEndpoint[] }>;
  /** Whether the app still exists for this router (a claim of an app that does not blocks nobody). */
  appExists(app: string): Promise<boolean>;
  /** Whether the router serves the app (its network is on the router). */
  serves(app: string): Promise<boolean>;
  /** Where to look when the router does not serve what it was given. */
  logHint: string;
}

/** What a Domain or Certificate knows of its router. */
export interface RouterRef {
  router: string;
  routerHttpPort: number;
  routerHttpsPort: number;
  /** Absent on one Docker Engine. */
  engine?: SwarmEngine;
}

/** The store of the router a Domain or Certificate names, on its engine. */
export function tlsStoreOf(r: RouterRef): TlsStore {
  // Loaded here, not at the top: each pulls in its engine's Docker client.
  if (r.engine) return (require("../engine/swarm-tls-store") as typeof import("../engine/swarm-tls-store")).swarmTlsStore(r);
  return engineTlsStore(r);
}

/** One Docker Engine: the router container's TLS volume, written through the router controller. */
function engineTlsStore(r: RouterRef): TlsStore {
  const controller = require("../router/router-controller") as typeof import("../router/router-controller");
  const files = require("../router/router-tls-store") as typeof import("../router/router-tls-store");
  const { docker } = require("../docker/docker-client") as typeof import("../docker/docker-client");
  const settings = { name: r.router, httpPort: r.routerHttpPort, httpsPort: r.routerHttpsPort };
  const networks = (app: string) =>
    docker().listNetworks({ filters: labelFilter({ [LABEL.role]: "app-network", [LABEL.app]: app, [LABEL.router]: r.router }) });
  return {
    state: async () => ((await controller.routerExists(r.router)) ? files.readTlsState(r.router) : undefined),
    write: (f) => controller.changeRouter(settings, (router) => files.writeTlsFiles(router, f)),
    remove: (names) => controller.changeRouter(settings, (router) => files.removeTlsFiles(router, names)),
    endpoints: async () => {
      const https = (await controller.routerExists(r.router)) ? await files.publishedHttpsPort(r.router) : undefined;
      return { http: [{ host: "127.0.0.1", port: r.routerHttpPort }], https: https ? [{ host: "127.0.0.1", port: https }] : [] };
    },
    appExists: async (app) => {
      const [nets, dynos] = await Promise.all([
        networks(app),
        docker().listContainers({ all: true, filters: labelFilter({ [LABEL.role]: "dyno", [LABEL.app]: app }) }),
      ]);
      return nets.length > 0 || dynos.length > 0;
    },
    serves: async (app) => (await networks(app)).length > 0,
    logHint: `docker logs ${r.router}`,
  };
}
