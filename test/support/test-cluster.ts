/**
 * A Docker Swarm for tests on one machine: three Docker Engines nested in containers (one manager,
 * two workers) and a registry, on a bridge network of their own (shared/swarm-notes.md).
 *
 * Everything it makes is named `dynoform-cluster-…` and labelled `dynoform.test-cluster`, so a
 * run that died half way is cleaned up by the next one (`bringUp` removes leftovers first).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import Docker from "dockerode";
import { portFree } from "../../provider/docker/port-probe";

export const CLUSTER_PREFIX = "dynoform-cluster-";
const FIXTURE_LABEL = "dynoform.test-cluster";
const REPO = path.resolve(__dirname, "..", "..");
const host = new Docker();

/** What the cluster tests need to reach the cluster; written to the env by the global setup. */
export interface TestCluster {
  /** The manager's Docker API on this machine (`tcp://127.0.0.1:<port>`, no TLS). */
  managerUrl: string;
  /** Each node's Docker API on the cluster network, by node name: "on every node" checks use them. */
  nodeUrls: Record<string, string>;
  /** Where this machine pushes images (`127.0.0.1:<port>`). */
  registryPush: string;
  /** The same registry as the nodes pull from it (`dynoform-cluster-registry:5000`). */
  registryPull: string;
  /** The node labelled `dynoform.edge=true`: the router runs there, its HTTP port published on 127.0.0.1. */
  edgeNode: string;
  routerHttpPort: number;
  /** Seconds the bring-up took. */
  bringUpSeconds: number;
}

const NODES = ["n1", "n2", "n3"].map((n) => `${CLUSTER_PREFIX}${n}`);
const REGISTRY = `${CLUSTER_PREFIX}registry`;
const NETWORK = `${CLUSTER_PREFIX}net`;

/** The image of a part, tagged by its folder's content as scripts/setup.sh tags it. */
function imageOf(part: "node" | "registry"): string {
  const dir = path.join(REPO, "scripts", "cluster", part);
  const hash = crypto.createHash("sha256");
  for (const f of fs.readdirSync(dir).sort()) hash.update(fs.readFileSync(path.join(dir, f)));
  return `dynoform/cluster-${part}:${hash.digest("hex").slice(0, 12)}`;
}

async function ensureImage(part: "node" | "registry"): Promise<string> {
  const tag = imageOf(part);
  const found = await host
    .getImage(tag)
    .inspect()
    .catch(() => undefined);
  if (!found)
    throw new Error(`Test cluster: image ${tag} is missing. Fix: run \`bash scripts/setup.sh\` (it builds scripts/cluster/${part})`);
  return tag;
}

/** Waits for `ok` to hold, polling; throws `what` after `timeoutMs`. */
export async function until<T>(what: string, ok: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await ok();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`Test cluster: timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
}

async function freePort(from: number): Promise<number> {
  for (let p = from; p < from + 500; p++) if (await portFree(p)) return p;
  throw new Error(`Test cluster: no free port from ${from}`);
}

async function ipOf(name: string): Promise<string> {
  const c = await host.getContainer(name).inspect();
  return c.NetworkSettings.Networks[NETWORK]?.IPAddress ?? "";
}

/** Removes every container, volume and network of a test cluster (this run's or a dead run's). */
export async function tearDown(): Promise<void> {
  const filters = { label: [FIXTURE_LABEL] };
  const containers = await host.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => host.getContainer(c.Id).remove({ force: true, v: true })));
  const networks = await host.listNetworks({ filters });
  for (const n of networks)
    await host
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
}

/** Starts the cluster from nothing (after removing leftovers) and returns how to reach it. */
export async function bringUp(): Promise<TestCluster> {
  const started = Date.now();
  const [nodeImage, registryImage] = await Promise.all([ensureImage("node"), ensureImage("registry")]);
  await tearDown();
  // Not `dynoform.managed`: the single-engine tests check that label on this engine for leftovers.
  const labels = { [FIXTURE_LABEL]: "true" };
  const net = await host.createNetwork({ Name: NETWORK, Driver: "bridge", Labels: labels });
  // The registry Dynoform runs on the cluster when a stack names none listens on the manager's
  // address: the nodes may pull from any address of the cluster network over plain HTTP.
  const subnet = ((await net.inspect()) as { IPAM?: { Config?: Array<{ Subnet?: string }> } }).IPAM?.Config?.[0]?.Subnet;
  const registry = await host.createContainer({
    name: REGISTRY,
    Image: registryImage,
    Labels: labels,
    ExposedPorts: { "5000/tcp": {} },
    HostConfig: { NetworkMode: NETWORK, PortBindings: { "5000/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
  });
  await registry.start();
  const routerHttpPort = await freePort(18480);
  const edgeNode = NODES[1];
  for (const [i, name] of NODES.entries()) {
    const ports: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    if (i === 0) ports["2375/tcp"] = [{ HostIp: "127.0.0.1", HostPort: "" }];
    if (name === edgeNode) ports[`${routerHttpPort}/tcp`] = [{ HostIp: "127.0.0.1", HostPort: String(routerHttpPort) }];
    const c = await host.createContainer({
      name,
      Hostname: name,
      Image: nodeImage,
      Labels: labels,
      Env: [`NODE_INSECURE=${REGISTRY}:5000${subnet ? `,${subnet}` : ""}`],
      ExposedPorts: Object.fromEntries(Object.keys(ports).map((p) => [p, {}])),
      HostConfig: {
        NetworkMode: NETWORK,
        PortBindings: ports,
        // --privileged cannot start here (CAP_SYS_RESOURCE is not in the host's bounding set).
        CapAdd: ["ALL"],
        CapDrop: ["SYS_RESOURCE"],
        // The CLI's `--security-opt systempaths=unconfined`: nothing masked or read-only under /proc and /sys.
        SecurityOpt: ["seccomp=unconfined"],
        MaskedPaths: [],
        ReadonlyPaths: [],
        DeviceCgroupRules: ["a *:* rwm"],
      },
    });
    await c.start();
  }
  const ips = await Promise.all(NODES.map(ipOf));
  const nodes = ips.map((ip) => new Docker({ host: ip, port: 2375 }));
  await Promise.all(nodes.map((n, i) => until(`${NODES[i]}'s dockerd`, () => n.ping().then(() => true), 90_000)));
  await nodes[0].swarmInit({ ListenAddr: "0.0.0.0:2377", AdvertiseAddr: ips[0], DefaultAddrPool: ["10.220.0.0/16"], SubnetSize: 24 });
  const swarm = (await nodes[0].swarmInspect()) as { JoinTokens: { Worker: string } };
  await Promise.all(
    nodes
      .slice(1)
      .map((n) => n.swarmJoin({ ListenAddr: "0.0.0.0:2377", RemoteAddrs: [`${ips[0]}:2377`], JoinToken: swarm.JoinTokens.Worker })),
  );
  await until("3 Ready nodes", async () => {
    const list = await nodes[0].listNodes();
    return list.length === 3 && list.every((n) => n.Status?.State === "ready");
  });
  // The router's place: Dynoform runs it on nodes labelled `dynoform.edge=true`.
  const edge = (await nodes[0].listNodes()).find((n) => n.Description?.Hostname === edgeNode)!;
  await nodes[0].getNode(edge.ID).update({ version: edge.Version!.Index, ...edge.Spec, Labels: { "dynoform.edge": "true" } });
  const managerPort = (await host.getContainer(NODES[0]).inspect()).NetworkSettings.Ports["2375/tcp"]![0].HostPort;
  const registryPort = (await registry.inspect()).NetworkSettings.Ports["5000/tcp"]![0].HostPort;
  return {
    managerUrl: `tcp://127.0.0.1:${managerPort}`,
    nodeUrls: Object.fromEntries(NODES.map((n, i) => [n, `tcp://${ips[i]}:2375`])),
    registryPush: `127.0.0.1:${registryPort}`,
    registryPull: `${REGISTRY}:5000`,
    edgeNode,
    routerHttpPort,
    bringUpSeconds: (Date.now() - started) / 1000,
  };
}

/** The Docker API of one node or the manager, from a `tcp://host:port` URL. */
export function dockerAt(url: string): Docker {
  const u = new URL(url.replace(/^tcp:/, "http:"));
  return new Docker({ host: u.hostname, port: Number(u.port) });
}

/** The cluster of this test run, as the global setup described it in the environment. */
export function testCluster(): TestCluster {
  const raw = process.env.DYNOFORM_TEST_CLUSTER;
  if (!raw) throw new Error("No test cluster: run the cluster tests through vitest's `cluster` project (test/cluster/global-setup.ts)");
  return JSON.parse(raw) as TestCluster;
}

/** The node container's name, for stopping and starting a machine. */
export const nodeContainer = (n: 1 | 2 | 3) => NODES[n - 1];
export const hostDocker = host;

/** The stack config that points a program at the test cluster; nothing in the program changes. */
export function clusterStackConfig(cluster: TestCluster): Record<string, string> {
  return {
    "dynoform:engine": "swarm",
    "dynoform:swarmHost": cluster.managerUrl,
    "dynoform:registry": cluster.registryPush,
    "dynoform:registryPullAddress": cluster.registryPull,
  };
}
