import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { docker } from "../docker/docker-client";

/**
 * Shield isolation beyond Docker's `internal` networks. An internal network forwards nothing off
 * the engine, but its dynos can still open connections to the engine host's own addresses (the
 * host is not "forwarded to"). A Shield space's networks get one more rule on the host: no new
 * connection from the network's bridge into the host. Replies to connections the host opens
 * (Dynoform's boot checks) still pass. Needs iptables and root on the engine's host, where the
 * provider runs.
 */
const run = promisify(execFile);

/** Docker names a network's bridge `br-` and the first 12 characters of its id. */
export function bridgeOf(networkId: string): string {
  return `br-${networkId.slice(0, 12)}`;
}

export function guardRule(bridge: string): string[] {
  return ["INPUT", "-i", bridge, "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP"];
}

async function iptables(args: string[]): Promise<void> {
  await run("iptables", ["-w", ...args]);
}

/** Adds the rule for this network unless it is there already. */
export async function guardShieldNetwork(network: string): Promise<void> {
  const { Id } = await docker().getNetwork(network).inspect();
  const rule = guardRule(bridgeOf(Id));
  try {
    await iptables(["-C", ...rule]);
    return;
  } catch {
    /* not there yet */
  }
  try {
    await iptables(["-I", ...rule]);
  } catch (e) {
    throw new Error(
      `could not keep Shield network ${network} away from this host: iptables failed (${(e as Error).message.split("\n")[0]}). Shield spaces need iptables and root on the Docker Engine's host. Fix: run pulumi as root on the engine's host, or use a Private space`,
    );
  }
}

/** Removes the rule of a network about to be removed (nothing if it had none). */
export async function unguardShieldNetwork(network: string): Promise<void> {
  const info = await docker()
    .getNetwork(network)
    .inspect()
    .catch(() => undefined);
  if (!info?.Internal) return;
  await iptables(["-D", ...guardRule(bridgeOf(info.Id))]).catch(() => undefined);
}
