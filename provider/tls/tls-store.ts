/**
 * Where a router keeps its custom domains, certificates, pending ACME challenges and redirects,
 * whatever the engine: files in the router's TLS volume on one Docker Engine, Swarm configs and
 * secrets on a cluster (engine/swarm-tls-store.ts). The Domain and Certificate providers speak
 * only to this, so the ACME order, renewal and checks are one code for both engines.
 */
import { docker } from "../docker/docker-client";
import { LABEL, labelFilter } from "../docker/labels";
import { swarmTlsStore } from "../engine/swarm-tls-store";
import * as controller from "../router/router-controller";
import * as files from "../router/router-tls-store";
import type { RouterRef, TlsStore } from "./router-tls";

export type { RouterEndpoint, RouterRef, TlsStore } from "./router-tls";

/** The store of the router a Domain or Certificate names, on its engine. */
export function tlsStoreOf(r: RouterRef): TlsStore {
  if (r.engine) return swarmTlsStore(r);
  return engineTlsStore(r);
}

/** One Docker Engine: the router container's TLS volume, written through the router controller. */
function engineTlsStore(r: RouterRef): TlsStore {
  const settings = { name: r.router, httpPort: r.routerHttpPort, httpsPort: r.routerHttpsPort };
  const networks = (app: string) =>
    docker().listNetworks({ filters: labelFilter({ [LABEL.role]: "app-network", [LABEL.app]: app, [LABEL.router]: r.router }) });
  return {
    state: async () => ((await controller.routerExists(r.router)) ? files.readTlsState(r.router) : undefined),
    write: (f) => controller.changeRouter(settings, (router) => files.writeTlsFiles(router, f)),
    remove: (names) => controller.changeRouter(settings, (router) => files.removeTlsFiles(router, names)),
    writeChecked: (f, check) =>
      controller.changeRouter(settings, async (router) => {
        await check(await files.readTlsState(r.router));
        await files.writeTlsFiles(router, f);
      }),
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
