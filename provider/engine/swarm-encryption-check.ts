/**
 * Can every node of a Swarm encrypt overlay traffic (a Shield space's networks)? Swarm creates an
 * encrypted overlay on any kernel, but where the kernel has no IPsec ESP or AES-GCM
 * (CONFIG_INET_ESP, CONFIG_CRYPTO_GCM) the network's traffic between nodes is dropped without an
 * error (shared/swarm-notes.md). So each node is asked for real: a one-off task on every node (a
 * global job) adds, in its own network namespace, the IPsec state Swarm adds for an encrypted
 * overlay (ESP in transport mode with `rfc4106(gcm(aes))`, 64-bit ICV). The kernel takes it or
 * says why not ("Requested AEAD algorithm not found", "Requested type not found").
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as crypto from "node:crypto";
import type Docker from "dockerode";
import type { SwarmEngine } from "../../sdk/engine";
import { demuxToText } from "../docker/docker-exec";
import { buildImage, imageExists } from "../docker/image-build";
import { LABEL } from "../docker/labels";
import { clusterDocker } from "./cluster-client";
import { pushImage, registryAuth } from "./registry-push";

/** `ip` from iproute2, on the stack image every Dynoform image starts from. */
export const PROBE_DOCKERFILE = `FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends iproute2 && rm -rf /var/lib/apt/lists/*
`;

/** The state Swarm's overlay driver adds per peer (a fixed test key: nothing is sent with it). */
export const PROBE_SCRIPT =
  "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 reqid 1 mode transport aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f10111213 64 && echo 'overlay encryption: ok'";

/** One node's answer. */
export interface NodeEncryption {
  node: string;
  ok: boolean;
  /** The kernel's words when it refused, or why the node gave no answer. */
  detail: string;
}

/**
 * Pure: the message that refuses a Shield space, or undefined when every node can encrypt. A node
 * that gave no answer counts as one that cannot: a Shield space is never made on a guess.
 */
export function encryptionProblem(space: string, nodes: NodeEncryption[]): string | undefined {
  const bad = nodes.filter((n) => !n.ok);
  if (nodes.length > 0 && bad.length === 0) return undefined;
  const which = bad.length ? bad.map((n) => `${n.node} (${n.detail})`).join(", ") : "no node answered";
  return `Space "${space}": a Shield space needs encrypted overlay networks, and this Swarm cannot encrypt them: ${which}. Swarm would create the networks and then drop their traffic between nodes without an error, and Dynoform never makes a Shield space unencrypted (rule shield-encrypted-overlay). Fix: run the nodes on kernels with IPsec ESP and AES-GCM (CONFIG_INET_ESP and CONFIG_CRYPTO_GCM, or the esp4 and gcm modules), or make a Private space (shield: false)`;
}

const probeTag = () => `dynoform/swarm-probe:${crypto.createHash("sha256").update(PROBE_DOCKERFILE).digest("hex").slice(0, 12)}`;

/** The probe image as the nodes pull it: built here when missing, pushed to the cluster's registry. */
async function probeImage(engine: SwarmEngine): Promise<string> {
  const tag = probeTag();
  if (!(await imageExists(tag))) {
    const context = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-probe-"));
    try {
      await buildImage(context, tag, { [LABEL.managed]: "true", [LABEL.component]: "swarm-probe" }, { dockerfile: PROBE_DOCKERFILE });
    } finally {
      fs.rmSync(context, { recursive: true, force: true });
    }
  }
  return pushImage(tag, "dynoform/swarm-probe", tag.split(":")[1], engine.registry);
}

const TERMINAL = new Set(["complete", "failed", "rejected", "shutdown", "orphaned"]);

/** Runs the probe on every node that takes tasks and returns each node's answer. */
export async function checkOverlayEncryption(engine: SwarmEngine, timeoutMs = 120_000): Promise<NodeEncryption[]> {
  const d = clusterDocker(engine);
  const image = await probeImage(engine);
  const authconfig = registryAuth(engine.registry);
  const name = `dynoform-encryption-check-${crypto.randomBytes(4).toString("hex")}`;
  const created = (await d.createService({
    Name: name,
    Labels: { [LABEL.managed]: "true", [LABEL.role]: "encryption-check" },
    TaskTemplate: {
      // NET_ADMIN in the task's own network namespace: the state added there goes with it.
      ContainerSpec: { Image: image, Command: ["sh", "-c", PROBE_SCRIPT], CapabilityAdd: ["CAP_NET_ADMIN"] },
      RestartPolicy: { Condition: "none" },
    },
    Mode: { GlobalJob: {} },
    ...(authconfig ? { authconfig } : {}),
  } as unknown as Docker.CreateServiceOptions)) as unknown as { id: string };
  const service = d.getService(created.id);
  try {
    const nodes = (await d.listNodes()).filter((n) => n.Status?.State === "ready" && n.Spec?.Availability === "active");
    const hostname = new Map((await d.listNodes()).map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
    const end = Date.now() + timeoutMs;
    let tasks: Array<{ NodeID?: string; Status?: { State?: string; Err?: string; ContainerStatus?: { ExitCode?: number } } }> = [];
    for (;;) {
      tasks = (await d.listTasks({ filters: { service: [created.id] } })) as typeof tasks;
      const done = tasks.filter((t) => TERMINAL.has(t.Status?.State ?? ""));
      if (done.length >= nodes.length && done.length === tasks.length) break;
      if (Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const said = await kernelWords(service);
    return nodes.map((n) => {
      const t = tasks.find((x) => x.NodeID === n.ID);
      const node = hostname.get(n.ID) ?? n.ID;
      if (!t) return { node, ok: false, detail: "the check got no task there" };
      if (t.Status?.State === "complete") return { node, ok: true, detail: "" };
      if (!TERMINAL.has(t.Status?.State ?? ""))
        return { node, ok: false, detail: `the check did not finish in ${timeoutMs / 1000} s (${t.Status?.State})` };
      return { node, ok: false, detail: said || t.Status?.Err || `exit ${t.Status?.ContainerStatus?.ExitCode}` };
    });
  } finally {
    await service.remove().catch(() => undefined);
  }
}

/** What the kernel said through `ip` (the job's output, every node's together). */
async function kernelWords(service: Docker.Service): Promise<string> {
  const raw = (await service.logs({ stdout: true, stderr: true }).catch(() => Buffer.from(""))) as unknown as Buffer;
  const lines = demuxToText(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)))
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.includes("overlay encryption: ok"));
  return [...new Set(lines)].join("; ");
}
