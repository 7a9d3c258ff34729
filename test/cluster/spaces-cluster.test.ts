import * as path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { execIn } from "../../provider/docker/docker-exec";
import { httpProbeScript } from "../support/dyno-probe";
import { get } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";
import { clusterStackConfig, dockerAt, hostDocker, nodeContainer, until } from "../support/test-cluster";

const cluster = inject("cluster");
const manager = dockerAt(cluster.managerUrl);
const EDGE = "dynoform.edge";

/** A running dyno of an app on the cluster: its slot, node and addresses on the overlays. */
interface Dyno {
  app: string;
  slot: number;
  node: string;
  container: Docker.Container;
  ips: string[];
}

async function dynosOf(app: string): Promise<Dyno[]> {
  const nodes = new Map((await manager.listNodes()).map((n) => [n.ID, n.Description?.Hostname ?? ""]));
  const tasks = (await manager.listTasks({ filters: { service: [`${app}-web`], "desired-state": ["running"] } })).filter(
    (t) => t.Status?.State === "running",
  );
  return Promise.all(
    tasks.map(async (t) => {
      const node = nodes.get(t.NodeID ?? "") ?? "";
      const d = dockerAt(cluster.nodeUrls[node]);
      const [c] = await d.listContainers({ filters: { label: [`com.docker.swarm.task.id=${t.ID}`] } });
      const ips = Object.values(c.NetworkSettings.Networks)
        .map((n) => n.IPAddress)
        // Overlay addresses only: docker_gwbridge's are per node, and the same address names another container elsewhere.
        .filter((ip) => ip.startsWith("10.220."));
      return { app, slot: t.Slot ?? 0, node, container: d.getContainer(c.Id), ips };
    }),
  );
}

/** From inside a dyno: does `host:5000` answer? ("ok 200 <body>", or why not). */
async function probe(from: Dyno, host: string): Promise<string> {
  return (await execIn(from.container, ["node", "-e", httpProbeScript(host, 5000, true)])).output.trim();
}

/**
 * A request made on a node of the cluster (its own address is the source), to a router port: the
 * status, or 0 when refused or closed unanswered. Perl, as the node image has no curl (perl-base is
 * in every Debian image).
 */
async function statusFrom(node: 1 | 2 | 3, host: string, port: number, hostname: string): Promise<number> {
  const script = [
    "$SIG{ALRM} = sub { print 0; exit };",
    "alarm 5;",
    "my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => $ARGV[1]) or do { print 0; exit };",
    'print $s "GET / HTTP/1.0\\r\\nHost: $ARGV[2]\\r\\n\\r\\n";',
    "my $line = <$s> // '';",
    "print $line =~ m{^HTTP/\\S+ (\\d+)} ? $1 : 0;",
  ].join(" ");
  const r = await execIn(hostDocker.getContainer(nodeContainer(node)), [
    "perl",
    "-MIO::Socket::INET",
    "-e",
    script,
    host,
    String(port),
    hostname,
  ]);
  return Number(r.output.trim()) || 0;
}

async function nodeIp(n: 1 | 2 | 3): Promise<string> {
  const info = await hostDocker.getContainer(nodeContainer(n)).inspect();
  return Object.values(info.NetworkSettings.Networks)[0].IPAddress;
}

async function setEdge(n: 1 | 2 | 3, on: boolean): Promise<void> {
  const node = (await manager.listNodes()).find((x) => x.Description?.Hostname === nodeContainer(n))!;
  const labels = { ...(node.Spec?.Labels ?? {}) };
  if (on) labels[EDGE] = "true";
  else delete labels[EDGE];
  await manager.getNode(node.ID).update({ version: node.Version!.Index, ...node.Spec, Labels: labels });
}

// Spaces on the test Swarm through the real Pulumi CLI: each cell of the isolation matrix is a
// connection attempt from inside a dyno to a dyno on another machine.
describe("spaces on a Swarm", () => {
  const id = uniqueSuffix();
  const [a, b, c, d] = ["a", "b", "c", "d"].map((n) => `${n}-${id}`);
  const dir = path.join(REPO, "test/cluster/fixtures/spaces");
  const stack = new PulumiStack(dir, `cluster-spaces-${id}`);
  const shieldStack = new PulumiStack(dir, `cluster-shield-${id}`);
  stack.env.DYNOFORM_ROUTER_HTTP_PORT = String(cluster.routerHttpPort);
  const ips: Record<number, string> = {};
  let pPort = 0;
  let dynos: Record<string, Dyno[]> = {};

  beforeAll(async () => {
    for (const n of [1, 2, 3] as const) ips[n] = await nodeIp(n);
    // Two edge nodes (n2 is the cluster's; n3 too, for this file): the space router runs on both.
    await setEdge(3, true);
    await shieldStack.init({ id, shieldOnly: "true", ...clusterStackConfig(cluster) });
    // n1's machine is trusted, and each edge node's own connections (127.0.0.1).
    await stack.init({ id, trustedIpRanges: `${ips[1]}/32,127.0.0.1/32`, ...clusterStackConfig(cluster) });
  });
  afterAll(async () => {
    await Promise.all([stack.cleanup(), shieldStack.cleanup()]);
    await setEdge(3, false);
  });

  it("refuses a Shield space at preview on nodes that cannot encrypt overlays, naming them and why, and makes nothing", async () => {
    const r = await shieldStack.preview([], { allowFailure: true });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(`Space "s-${id}": a Shield space needs encrypted overlay networks, and this Swarm cannot encrypt them:`);
    // This kernel has no AES-GCM: each node's own answer is in the message.
    for (const n of [1, 2, 3] as const) expect(r.output).toContain(nodeContainer(n));
    expect(r.output).toMatch(/Requested AEAD algorithm not found|Requested type not found/);
    expect(r.output).toContain("rule shield-encrypted-overlay");
    const left = await manager.listNetworks({ filters: { label: [`dynoform.space=s-${id}`] } });
    const checks = await manager.listServices({ filters: { label: ["dynoform.role=encryption-check"] } });
    expect([...left, ...checks]).toEqual([]);
  });

  it("up makes the spaces, their routers on every edge node, and spreads the dynos", async () => {
    await stack.up();
    pPort = Number((await stack.outputs()).pPort);
    // The last app's joining restarts the router node by node (stop-first), after `up` returns.
    const nodes = new Map((await manager.listNodes()).map((n) => [n.ID, n.Description?.Hostname]));
    const runningOn = async () => {
      const tasks = await manager.listTasks({ filters: { service: [`dynoform-space-p-${id}-router`], "desired-state": ["running"] } });
      return tasks
        .filter((t) => t.Status?.State === "running")
        .map((t) => nodes.get(t.NodeID ?? ""))
        .sort()
        .join(" ");
    };
    await until(
      "the space router running on both edge nodes",
      async () => (await runningOn()) === `${nodeContainer(2)} ${nodeContainer(3)}`,
    );
    // Global on the edge nodes only: never on n1.
    expect(await runningOn()).toBe(`${nodeContainer(2)} ${nodeContainer(3)}`);
    await until("every dyno running", async () => {
      dynos = Object.fromEntries(await Promise.all([a, b, c, d].map(async (x) => [x, await dynosOf(x)])));
      return [a, b, c, d].every((x) => dynos[x].length === (x === c ? 2 : 1) && dynos[x].every((y) => y.ips.length > 0));
    });
    // Each private dyno has a machine of its own (it reserves both its cores); c's two are on two.
    expect(new Set([a, b, d].map((x) => dynos[x][0].node)).size).toBe(3);
    expect(new Set(dynos[c].map((y) => y.node)).size).toBe(2);
    // Crashed dynos restart at once in a space, after a cool-off on the Common Runtime.
    const delay = async (x: string) => (await manager.getService(`${x}-web`).inspect()).Spec.TaskTemplate.RestartPolicy.Delay;
    expect([await delay(a), await delay(c)]).toEqual([0, 20_000_000_000]);
  });

  it("lets a dyno reach each dyno of its space by Heroku's DNS names, on another machine", async () => {
    const [from] = dynos[a];
    const [other] = dynos[b];
    expect(other.node).not.toBe(from.node);
    expect(await probe(from, `1.web.${b}.app.localspace`)).toBe("ok 200 Hello from b from web.1");
    expect(await probe(from, `web.${b}.app.localspace`)).toBe("ok 200 Hello from b from web.1");
    expect(await probe(other, `1.web.${a}.app.localspace`)).toBe("ok 200 Hello from a from web.1");
    // No such dyno: the name of a slot that does not run answers nothing.
    expect(await probe(from, `2.web.${b}.app.localspace`)).toMatch(/ENOTFOUND|EAI_AGAIN/);
    const env = await execIn(other.container, ["sh", "-c", "echo $HEROKU_DNS_DYNO_NAME $HEROKU_DNS_FORMATION_NAME $HEROKU_DNS_APP_NAME"]);
    expect(env.output.trim()).toBe(`${other.slot}.web.${b}.app.localspace web.${b}.app.localspace ${b}.app.localspace`);
  });

  it("keeps the other space and the Common Runtime out, in both directions, across machines", async () => {
    const crossings: string[] = [];
    const cannot = async (from: Dyno, to: Dyno[], names: string[]) => {
      // All at once: each refused probe waits out its 2 s timeout.
      const targets = to.flatMap((y) => y.ips.map((ip) => ({ y, ip })));
      const results = await Promise.all([...targets.map((t) => probe(from, t.ip)), ...names.map((n) => probe(from, n))]);
      targets.forEach(({ y, ip }, i) => {
        if (y.node !== from.node) crossings.push(`${from.app}→${y.app}`);
        // Not "no answer": a dyno with a way out sends an address it cannot reach on its overlays out
        // of the cluster, and this machine's own network answers any address (a 404). The target
        // dyno's own answer ("Hello from …") is what must never come.
        expect(results[i], `${from.app} (${from.node}) → ${y.app}.web.${y.slot} ${ip} (${y.node})`).not.toContain("Hello from");
      });
      names.forEach((name, i) => {
        expect(results[targets.length + i], `${from.app} → ${name}`).toMatch(/ENOTFOUND|EAI_AGAIN/);
      });
    };
    await cannot(dynos[d][0], [...dynos[a], ...dynos[b]], [`1.web.${a}.app.localspace`, `web.${b}.app.localspace`]);
    await cannot(dynos[c][0], [...dynos[a], ...dynos[b]], [`web.${a}.app.localspace`]);
    await cannot(dynos[a][0], [...dynos[c], ...dynos[d]], [`web.${d}.app.localspace`]);
    for (const pair of [`${d}→${a}`, `${d}→${b}`, `${a}→${c}`, `${a}→${d}`]) expect(crossings).toContain(pair);
    expect(crossings.some((x) => x === `${c}→${a}` || x === `${c}→${b}`)).toBe(true);
    // A private space's dynos keep their way out: the registry, off the Swarm's networks, stands for
    // the outside. By its address on the nodes' own network (a link of each node, so no answer from
    // further out can stand in for it); a dyno does not resolve this machine's container names.
    const registry = await hostDocker.getContainer("dynoform-cluster-registry").inspect();
    const registryIp = Object.values(registry.NetworkSettings.Networks)[0].IPAddress;
    expect(await probe(dynos[a][0], registryIp)).toMatch(/^ok /);
  });

  it("holds the trusted IP ranges on every router replica, and the Common Runtime router does not serve space apps", async () => {
    const host = `${a}.dynoform.localhost`;
    for (const edge of [2, 3] as const) {
      // The router's last update (the last app joining) may still roll over the edge nodes.
      await until(`trusted n1 → n${edge}`, async () => (await statusFrom(1, ips[edge], pPort, host)) === 200, 60_000, 500);
      expect(await statusFrom(edge, "127.0.0.1", pPort, host), `n${edge} → itself`).toBe(200);
    }
    expect(await statusFrom(3, ips[2], pPort, host), "untrusted n3 → n2").toBe(0);
    expect(await statusFrom(2, ips[3], pPort, host), "untrusted n2 → n3").toBe(0);
    const common = await get(`http://${host}:${cluster.routerHttpPort}/`);
    expect(common.status).toBe(404);
  });

  it("destroy leaves nothing with Dynoform's label on any node, and nothing on the manager", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    const filters = { label: ["dynoform.managed=true"] };
    for (const url of Object.values(cluster.nodeUrls)) {
      const node = dockerAt(url);
      await until(
        `nothing labelled on ${url}`,
        async () => {
          const [cs, ns] = await Promise.all([node.listContainers({ all: true, filters }), node.listNetworks({ filters })]);
          const left = [...cs.map((x) => `${x.Names[0]} (${x.State})`), ...ns.map((x) => `network ${x.Name}`)];
          // Thrown, the names are in the timeout's message.
          if (left.length) throw new Error(`left: ${left.join(", ")}`);
          return true;
        },
        60_000,
        500,
      );
    }
    const [services, configs, networks] = await Promise.all([
      manager.listServices({ filters }),
      manager.listConfigs({ filters }),
      manager.listNetworks({ filters }),
    ]);
    expect([...services, ...configs, ...networks]).toEqual([]);
  });
});
