/**
 * The TLS store of a cluster router (see swarm-router-tls.ts for the layout): files written as
 * Swarm configs and secrets on the manager, which every router replica mounts, so a certificate
 * issued once is served by all of them. ACME challenges go to the router's responder
 * (swarm-acme-responder.ts) instead, so a challenge restarts no router.
 */
import type Docker from "dockerode";
import { LABEL } from "../docker/labels";
import type { RouterRef, TlsStore } from "../tls/router-tls";
import { clusterDocker } from "./cluster-client";
import { syncAcmeResponder } from "./swarm-acme-responder";
import { EDGE_LABEL, syncSwarmRouter, waitRolledOut, type SwarmRouter } from "./swarm-router";
import { splitTlsFiles, TLS_LABEL, tlsObjectName, type TlsObject } from "./swarm-router-tls";
import { listTlsObjects, observeSwarmTls } from "./swarm-tls-observe";

type Spec = { Name?: string; Labels?: Record<string, string> };

/** Objects no longer current go once no service mounts them (Swarm refuses to remove one in use). */
async function collectGarbage(d: Docker, router: string): Promise<void> {
  const { garbage } = await observeSwarmTls(d, router);
  for (const o of garbage) await (o.kind === "config" ? d.getConfig(o.id) : d.getSecret(o.id)).remove().catch(() => undefined);
}

/** A file's objects marked removed (a mounted one cannot go until the router stops mounting it). */
async function markRemoved(d: Docker, o: TlsObject): Promise<void> {
  const obj = o.kind === "config" ? d.getConfig(o.id) : d.getSecret(o.id);
  const removed = await obj.remove().then(
    () => true,
    () => false,
  );
  if (removed) return;
  const info = (await obj.inspect()) as unknown as { Version: { Index: number }; Spec: Spec };
  await (obj as unknown as { update(o: unknown): Promise<unknown> }).update({
    version: info.Version.Index,
    ...info.Spec,
    Labels: { ...info.Spec.Labels, [TLS_LABEL.removed]: "true" },
  });
}

/** The store of a router on a Swarm. */
export function swarmTlsStore(r: RouterRef): TlsStore {
  const engine = r.engine!;
  const d = clusterDocker(engine);
  const router: SwarmRouter = { name: r.router, httpPort: r.routerHttpPort, httpsPort: r.routerHttpsPort };
  /** Brings the router (or only the responder, for challenges) to the store's content. */
  const sync = async (files: string[]) => {
    if (files.some((f) => f.startsWith("challenges/"))) await syncAcmeResponder(engine, router.name);
    if (files.some((f) => !f.startsWith("challenges/"))) {
      await syncSwarmRouter(engine, router);
      await waitRolledOut(d, router.name);
      await collectGarbage(d, router.name);
    }
  };
  const networks = (app: string, router?: string) =>
    d.listNetworks({
      filters: { label: [`${LABEL.role}=app-network`, `${LABEL.app}=${app}`, ...(router ? [`${LABEL.router}=${router}`] : [])] },
    });
  return {
    state: async () => (await observeSwarmTls(d, r.router)).state,
    async write(files) {
      const existing = new Set((await listTlsObjects(d, r.router)).filter((o) => !o.removed).map((o) => o.name));
      for (const f of splitTlsFiles(files)) {
        const Name = tlsObjectName(r.router, f.file, f.content);
        if (existing.has(Name)) continue;
        const spec = {
          Name,
          Labels: { [LABEL.managed]: "true", [LABEL.role]: "router-tls", [TLS_LABEL.router]: r.router, [TLS_LABEL.file]: f.file },
          Data: Buffer.from(f.content).toString("base64"),
        };
        await (f.kind === "secret" ? d.createSecret(spec) : d.createConfig(spec));
      }
      await sync(Object.keys(files));
    },
    // The cluster's router has no lock of its own: the check and the write are two steps there.
    async writeChecked(files, check) {
      await check((await observeSwarmTls(d, r.router)).state);
      await this.write(files);
    },
    async remove(names) {
      const gone = new Set(names.flatMap((n) => [n, `${n}.key`]));
      for (const o of (await listTlsObjects(d, r.router)).filter((o) => gone.has(o.file))) await markRemoved(d, o);
      await sync(names);
    },
    async endpoints() {
      const edges = (await d.listNodes()).filter((n) => n.Spec?.Labels?.[EDGE_LABEL] === "true" && n.Status?.State === "ready");
      const addresses = edges.map((n) => n.Status?.Addr ?? "").filter(Boolean);
      const service = await d
        .getService(r.router)
        .inspect()
        .catch(() => undefined);
      const https = (service?.Spec?.EndpointSpec?.Ports ?? []).find((p: { TargetPort: number }) => p.TargetPort === 443)?.PublishedPort;
      return {
        http: addresses.map((host) => ({ host, port: r.routerHttpPort })),
        https: https ? addresses.map((host) => ({ host, port: Number(https) })) : [],
      };
    },
    appExists: async (app) => (await networks(app)).length > 0,
    serves: async (app) => (await networks(app, r.router)).length > 0,
    logHint: `docker service logs ${r.router} on the manager`,
  };
}
