import * as net from "node:net";
import type Docker from "dockerode";
import { execIn } from "../docker/docker-exec";

/**
 * Who a space router admits, from the space's `trustedIpRanges`.
 *
 * With Docker's `userland-proxy` off (scripts/setup.sh sets it), a connection from another
 * machine to a published port is only DNAT-ed: HAProxy sees the client's own address, so the
 * ranges apply to it as written. A connection from this machine to the port on 127.0.0.1 is
 * DNAT-ed too, but its source (127.0.0.1) cannot leave the host, so Docker masquerades it to the
 * address of the bridge it leaves by: the gateway of the one router network Docker publishes the
 * ports on (the network of the router's default route, which moves when a network that sorts
 * first joins). So "127.0.0.1 is trusted" means "that one gateway address is trusted", and no
 * other: not the gateways of the router's app networks, and never a range.
 */

/** Does any range contain 127.0.0.1 (e.g. `127.0.0.1/32`, `127.0.0.0/8`)? */
export function admitsLoopback(ranges: string[]): boolean {
  const list = new net.BlockList();
  for (const r of ranges) {
    const [address, prefix] = r.split("/");
    if (net.isIPv4(address)) list.addSubnet(address, Number(prefix), "ipv4");
  }
  return list.check("127.0.0.1", "ipv4");
}

/** The default route's gateway in a `/proc/net/route` table (addresses are little-endian hex). */
export function defaultGateway(procNetRoute: string): string | undefined {
  for (const line of procNetRoute.split("\n").slice(1)) {
    const [, destination, gateway] = line.trim().split(/\s+/);
    if (destination === "00000000" && gateway && /^[0-9A-Fa-f]{8}$/.test(gateway)) {
      return (gateway.match(/../g) ?? [])
        .reverse()
        .map((h) => parseInt(h, 16))
        .join(".");
    }
  }
  return undefined;
}

/** Pure: the sources HAProxy admits, given the address loopback clients arrive from. */
export function trustedSources(ranges: string[], loopbackSource: string | undefined): string[] {
  return admitsLoopback(ranges) && loopbackSource ? [...ranges, `${loopbackSource}/32`] : [...ranges];
}

/** The address this machine's connections to the router's published ports arrive from. */
export async function loopbackSource(router: Docker.Container): Promise<string | undefined> {
  const { exitCode, output } = await execIn(router, ["cat", "/proc/net/route"]);
  return exitCode === 0 ? defaultGateway(output) : undefined;
}

/**
 * Host addresses a router publishes its ports on: 127.0.0.1, plus those listed (comma-separated)
 * in DYNOFORM_ROUTER_PUBLISH_ADDRESSES when the router is created, e.g. this server's public
 * address, so other machines reach it with their own addresses (the trusted-range tests publish
 * on the host end of a veth pair this way).
 */
export function publishAddresses(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.DYNOFORM_ROUTER_PUBLISH_ADDRESSES ?? "")
    .split(",")
    .map((a) => a.trim())
    .filter(Boolean);
  for (const a of extra) {
    if (!net.isIP(a))
      throw new Error(
        `DYNOFORM_ROUTER_PUBLISH_ADDRESSES: ${JSON.stringify(a)} is not an IP address. Fix: list this machine's addresses, comma-separated, e.g. "203.0.113.5"`,
      );
  }
  return [...new Set(["127.0.0.1", ...extra])];
}
