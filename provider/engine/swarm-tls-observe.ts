/**
 * What the cluster router's TLS store holds (swarm-router-tls.ts has the layout), and what the
 * router service gets from it: routes with custom domains, config extras, mounts, the HTTPS port.
 */
import type Docker from "dockerode";
import { LABEL } from "../docker/labels";
import { maintenanceFileName, renderMaintenanceFile } from "../router/maintenance-page";
import { ERRORS_DIR } from "../router/router-config";
import { parseTlsFiles, renderCrtList, routerTlsConfig, TLS_DIR, tlsFile, withCustomDomains, type TlsState } from "../tls/router-tls";
import { acmeResponderName } from "./acme-responder-config";
import { ensureConfig } from "./swarm-configs";
import type { SwarmRoute, SwarmRouterExtras } from "./swarm-router-config";
import { certificateMounts, currentTlsObjects, maintenanceOfFiles, TLS_LABEL, tlsFilesOf, type TlsObject } from "./swarm-router-tls";

/** The router as the TLS side needs it (swarm-router.ts's SwarmRouter). */
interface RouterPorts {
  name: string;
  httpsPort?: number;
}

type Spec = { Name?: string; Labels?: Record<string, string> };
type Listed = { ID: string; CreatedAt?: string; Spec?: Spec & { Data?: string } };

export async function listTlsObjects(d: Docker, router: string): Promise<TlsObject[]> {
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
export async function routerTlsParts<R extends SwarmRoute>(d: Docker, router: RouterPorts, routes: R[]) {
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
