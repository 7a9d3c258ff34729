import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execIn } from "../../provider/docker/docker-exec";
import { buildImage } from "../../provider/docker/image-build";
import { LABEL } from "../../provider/docker/labels";
import { startDyno, stopDyno } from "../../provider/formations/dyno-driver";
import { ensureNetwork, removeAppNetwork } from "../../provider/router/router-controller";
import { provider as spaceProvider } from "../../provider/spaces/space-provider";
import type { SpaceOutputs } from "../../sdk/space";
import { docker } from "../support/docker";
import { get } from "../support/http";
import { REPO, uniqueSuffix } from "../support/pulumi";

const run = promisify(execFile);
const sh = (cmd: string[]) => run(cmd[0], cmd.slice(1)).then((r) => r.stdout);

// A client on another machine, for real: a network namespace of its own joined to this host by a
// veth pair (198.18.0.0/15 is the benchmarking range, routed nowhere). The space's router is
// published on the host end's address too (DYNOFORM_ROUTER_PUBLISH_ADDRESSES), the way a server
// publishes it on its public address; the client connects there and Docker DNATs it to HAProxy.
describe("a space's trusted ranges see real client addresses", () => {
  const suffix = uniqueSuffix();
  const space = `tr-${suffix}`;
  const app = `tr-app-${suffix}`;
  const ns = `dynoform-tr-${suffix}`.slice(0, 30);
  const [hostIf, nsIf] = [`${`dftr${suffix}`.slice(0, 12)}h`, `${`dftr${suffix}`.slice(0, 12)}n`];
  const octet = 1 + (parseInt(suffix.replace(/\D/g, "").slice(-3) || "1", 10) % 250);
  const [hostAddr, clientAddr] = [`198.18.${octet}.1`, `198.18.${octet}.2`];
  const appNetwork = `dynoform-app-${app}`;
  let outs: SpaceOutputs;
  let image = "";
  const previousPublish = process.env.DYNOFORM_ROUTER_PUBLISH_ADDRESSES;

  /** GET /headers on the router as `Host: <app>.test`, from the namespace; the response body, or curl's failure. */
  const fromClient = async () =>
    run("ip", [
      "netns",
      "exec",
      ns,
      "curl",
      "-sS",
      "-m",
      "5",
      "-H",
      `Host: ${app}.test`,
      `http://${hostAddr}:${outs.httpPort}/headers`,
    ]).then(
      (r) => r.stdout,
      (e: { stderr: string }) => `refused: ${e.stderr.trim()}`,
    );
  const fromLoopback = () =>
    get(`http://${app}.test:${outs.httpPort}/headers`, { timeoutMs: 5000 }).then(
      (r) => `${r.status} ${r.body}`,
      (e: Error) => `refused: ${e.message}`,
    );
  const setRanges = async (trustedIpRanges: string[]) => {
    outs = (await spaceProvider.update(space, outs, { ...outs, trustedIpRanges })).outs as SpaceOutputs;
  };
  /** The router reloads after an update returns (SIGUSR2): polls `probe` until `ok` holds (10 s), returning its last answer. */
  const settled = async (probe: () => Promise<string>, ok: (answer: string) => boolean) => {
    const deadline = Date.now() + 10_000;
    let answer = await probe();
    while (!ok(answer) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      answer = await probe();
    }
    return answer;
  };
  const forwardedFor = (body: string) => /^x-forwarded-for: (\S+)$/im.exec(body)?.[1];
  const admitted = async () =>
    (await execIn(docker.getContainer(outs.router), ["grep", "tcp-request connection reject", "/etc/haproxy/haproxy.cfg"])).output.trim();

  beforeAll(async () => {
    await sh(["ip", "netns", "add", ns]);
    await sh(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", nsIf]);
    await sh(["ip", "link", "set", nsIf, "netns", ns]);
    await sh(["ip", "addr", "add", `${hostAddr}/30`, "dev", hostIf]);
    await sh(["ip", "link", "set", hostIf, "up"]);
    for (const c of [
      ["ip", "addr", "add", `${clientAddr}/30`, "dev", nsIf],
      ["ip", "link", "set", nsIf, "up"],
      ["ip", "link", "set", "lo", "up"],
      ["ip", "route", "add", "default", "via", hostAddr],
    ]) {
      await sh(["ip", "netns", "exec", ns, ...c]);
    }
    process.env.DYNOFORM_ROUTER_PUBLISH_ADDRESSES = hostAddr;
    image = (
      await buildImage(path.join(REPO, "examples/hello/app"), `dynoform/tr-${suffix}:test`, { [LABEL.managed]: "true", [LABEL.app]: app })
    ).tag;
    outs = (await spaceProvider.create({ name: space, shield: false, trustedIpRanges: [`${clientAddr}/32`], httpPort: 0, httpsPort: 0 }))
      .outs as SpaceOutputs;
    await ensureNetwork(appNetwork, {
      [LABEL.managed]: "true",
      [LABEL.role]: "app-network",
      [LABEL.app]: app,
      [LABEL.hostname]: `${app}.test`,
      [LABEL.webPort]: "5000",
      [LABEL.router]: outs.router,
      [LABEL.space]: space,
      [LABEL.shield]: "false",
    });
    await startDyno({
      app,
      processType: "web",
      index: 1,
      release: "v1",
      size: "private-s",
      image,
      env: {},
      network: appNetwork,
      aliases: [`web.1.v1.${app}.dyno`],
      webPort: 5000,
      limits: { memoryBytes: 256 * 1024 * 1024, cpuShares: 1024, pidsLimit: 256 },
    });
    await setRanges([`${clientAddr}/32`]); // renders the route to the new dyno
  }, 300_000);

  afterAll(async () => {
    if (previousPublish === undefined) delete process.env.DYNOFORM_ROUTER_PUBLISH_ADDRESSES;
    else process.env.DYNOFORM_ROUTER_PUBLISH_ADDRESSES = previousPublish;
    const dynos = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${app}`] } });
    await Promise.all(dynos.map((d) => stopDyno(d.Id)));
    if (outs) {
      await removeAppNetwork(
        { name: outs.router, httpPort: outs.httpPort, space: { name: space, shield: false, trustedIpRanges: outs.trustedIpRanges } },
        appNetwork,
      ).catch(() => undefined);
      await spaceProvider.delete(space, outs).catch(() => undefined);
    }
    await docker
      .getNetwork(appNetwork)
      .remove()
      .catch(() => undefined);
    if (image)
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    // Deleting the namespace deletes the veth pair with it; Docker removes its DNAT rules with the router.
    await sh(["ip", "netns", "del", ns]).catch(() => undefined);
    await sh(["ip", "link", "del", hostIf]).catch(() => undefined);
  });

  it("gives the router the client's own address, in X-Forwarded-For, and admits it by its range", async () => {
    expect(forwardedFor(await settled(fromClient, (b) => /x-forwarded-for/i.test(b)))).toBe(clientAddr);
    // HAProxy accepts and resets at once (tcp-request connection reject); ECONNREFUSED would mean no router.
    const resetByRouter = /^refused: (socket hang up|(read|connect) ECONNRESET)/;
    expect(await settled(fromLoopback, (a) => resetByRouter.test(a))).toMatch(resetByRouter);
  });

  it("refuses the client when its range is not trusted, and admits this machine by 127.0.0.1/32 through exactly one gateway", async () => {
    await setRanges(["127.0.0.1/32"]);
    // Empty reply or reset: refused by HAProxy (curl's 7, no connection, is the router being made again).
    const refusedByRouter = /^refused: curl: \((52|56)\) /;
    expect(await settled(fromClient, (a) => refusedByRouter.test(a))).toMatch(refusedByRouter);
    const loopback = await settled(fromLoopback, (a) => /x-forwarded-for/i.test(a));
    expect(loopback).toMatch(/^200 /);
    // Docker masquerades a loopback client to the gateway of the router network it publishes on.
    const seenAs = forwardedFor(loopback);
    const info = await docker.getContainer(outs.router).inspect();
    const gateways = Object.values(info.NetworkSettings.Networks)
      .map((n) => n.Gateway)
      .filter(Boolean);
    expect(gateways.length).toBeGreaterThan(1); // its own network and the app's
    expect(gateways).toContain(seenAs);
    // The range as given, and that one gateway: not the app network's.
    const sources = /\{ src (.*) \}$/.exec(await admitted())?.[1].split(" ");
    expect(sources?.sort()).toEqual(["127.0.0.1/32", `${seenAs}/32`].sort());
  });

  it("admits everyone again with no ranges", async () => {
    await setRanges([]);
    expect(await admitted()).toBe("");
    expect(forwardedFor(await settled(fromClient, (b) => /x-forwarded-for/i.test(b)))).toBe(clientAddr);
    expect(await settled(fromLoopback, (a) => a.startsWith("200"))).toMatch(/^200 /);
  });
});
