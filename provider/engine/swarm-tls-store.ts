/**
 * The TLS store of a cluster router (see swarm-router-tls.ts for the layout): files written as
 * Swarm configs and secrets on the manager, which every router replica mounts, so a certificate
 * issued once is served by all of them. ACME challenges go to the router's responder
 * (swarm-acme-responder.ts) instead, so a challenge restarts no router.
 */
import type Docker from "dockerode";
import { LABEL } from "../docker/labels";
import { maintenanceFileName, renderMaintenanceFile } from "../router/maintenance-page";
import { ERRORS_DIR } from "../router/router-config";
import { parseTlsFiles, renderCrtList, routerTlsConfig, TLS_DIR, tlsFile, withCustomDomains, type TlsState } from "../tls/router-tls";
import type { RouterRef, TlsStore } from "../tls/tls-store";
import { acmeResponderName } from "./acme-responder-config";
import { clusterDocker } from "./cluster-client";
import { syncAcmeResponder } from "./swarm-acme-responder";
import { EDGE_LABEL, ensureConfig, syncSwarmRouter, waitRolledOut, type SwarmRouter } from "./swarm-router";
import type { SwarmRoute, SwarmRouterExtras } from "./swarm-router-config";
import {
  certificateMounts,
  currentTlsObjects,
  maintenanceOfFiles,
  splitTlsFiles,
  TLS_LABEL,
  tlsFilesOf,
  tlsObjectName,
  type TlsObject,
} from "./swarm-router-tls";

type Spec = { Name?: string; Labels?: Record<string, string> };
type Listed = { ID: string; CreatedAt?: string; Spec?: Spec & { Data?: string } };

async function listTlsObjects(d: Docker, router: string): Promise<TlsObject[]> {
  const filters = { label: [`${TLS_LABEL.router}=${router}`] };
  const [configs, secrets] = (await Promise.all([d.listConfigs({ filters }), d.listSecrets({ filters })])) as unknown as [
    Listed[],
    Listed[],
  ];
  const of = (o: Listed, kind: "config" | "secret"): TlsObject => ({
    id: o.ID,
    name: o.Spec?.Name ?? "",
    kind,
    file: o.Spec?.Labels?.[TLS_LABEL.file] ?? "",
    createdAt: o.CreatedAt ?? "",
    removed: o.Spec?.Labels?.[TLS_LABEL.removed] === "true",
    ...(kind === "config" && o.Spec?.Data ? { content: Buffer.from(o.Spec.Data, "base64").toString() } : {}),
  });
  return [...configs.map((c) => of(c, "config")), ...secrets.map((s) => of(s, "secret"))].filter((o) => o.file);
}

/** The store as the manager holds it now. */
export async function observeSwarmTls(d: Docker, router: string) {
  const { current, garbage } = currentTlsObjects(await listTlsObjects(d, router));
  const files = tlsFilesOf(current);
  return { current, garbage, state: parseTlsFiles(files) as TlsState, maintenance: maintenanceOfFiles(files) };
}

/** What the router service gets from the store: routes with custom domains, config extras, mounts, the HTTPS port. */
export async function routerTlsParts<R extends SwarmRoute>(d: Docker, router: SwarmRouter, routes: R[]) {
  const tls = await observeSwarmTls(d, router.name);
  const served = withCustomDomains(routes, tls.state);
  const extras: SwarmRouterExtras = {
    tls: { ...routerTlsConfig(served, tls.state), challenges: [] },
    httpsPort: router.httpsPort,
    maintenance: Object.fromEntries(Object.entries(tls.maintenance).filter(([app]) => routes.some((r) => r.app === app))),
    acmeResponder: `tasks.${acmeResponderName(router.name)}`,
  };
  const file = (name: string, mode = 0o444) => ({ Name: name, UID: "0", GID: "0", Mode: mode });
  const configs: Array<{ File: ReturnType<typeof file>; ConfigID: string; ConfigName: string }> = [];
  const secrets: Array<{ File: ReturnType<typeof file>; SecretID: string; SecretName: string }> = [];
  if (extras.tls.certificates.length > 0) {
    configs.push({
      File: file(`${TLS_DIR}/${tlsFile.crtList}`),
      ...(await ensureConfig(d, router.name, "crt", renderCrtList(extras.tls))),
    });
    for (const m of certificateMounts(tls.current)) {
      if (m.object.kind === "secret") secrets.push({ File: file(m.target, 0o400), SecretID: m.object.id, SecretName: m.object.name });
      else configs.push({ File: file(m.target), ConfigID: m.object.id, ConfigName: m.object.name });
    }
  }
  const pages = new Map(
    Object.entries(extras.maintenance).map(([app, page]) => [maintenanceFileName(app, page), renderMaintenanceFile(page)]),
  );
  for (const [name, content] of [...pages].sort())
    configs.push({ File: file(`${ERRORS_DIR}/${name}`), ...(await ensureConfig(d, router.name, "page", content)) });
  const ports = router.httpsPort ? [{ Protocol: "tcp", TargetPort: 443, PublishedPort: router.httpsPort, PublishMode: "host" }] : [];
  return { routes: served, extras, configs, secrets, ports, network: await ensureResponderNetwork(d, router.name), garbage: tls.garbage };
}

/** The router's own overlay network, where its replicas reach the ACME responder. */
async function ensureResponderNetwork(d: Docker, router: string): Promise<string> {
  const name = acmeResponderName(router);
  const found = await d.listNetworks({ filters: { name: [name] } });
  if (!found.some((n) => n.Name === name))
    await d.createNetwork({
      Name: name,
      Driver: "overlay",
      Attachable: false,
      CheckDuplicate: true,
      Labels: { [LABEL.managed]: "true", [LABEL.role]: "router-network", [LABEL.router]: router },
    });
  return name;
}

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
