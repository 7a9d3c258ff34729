/**
 * Can every node of a Swarm encrypt overlay traffic (a Shield space's networks)? Swarm creates an
 * encrypted overlay on any kernel, but where the kernel has no IPsec ESP or AES-GCM
 * (CONFIG_INET_ESP, CONFIG_CRYPTO_GCM) the network's traffic between nodes is dropped without an
 * error (shared/swarm-notes.md). So each node is asked for real: a one-off task on every node (a
 * global service that is never restarted) adds, in its own network namespace, the IPsec state Swarm adds for an encrypted
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

/**
 * The state Swarm's overlay driver adds per peer (a fixed test key: nothing is sent with it). The
 * task always exits 0 (its exit status is not the answer; its output is) and says on one line, with
 * its node's name (its hostname), what the kernel answered.
 */
export const PROBE_SCRIPT =
  'if out=$(ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 reqid 1 mode transport aead \'rfc4106(gcm(aes))\' 0x000102030405060708090a0b0c0d0e0f10111213 64 2>&1); then echo "$(hostname): ok"; else echo "$(hostname): refused: $(echo $out)"; fi';

/** Pure: each node's answer from the job's output lines (`<node>: ok`, `<node>: refused: <the kernel's words>`). */
export function nodeAnswers(output: string): Map<string, NodeEncryption> {
  const answers = new Map<string, NodeEncryption>();
  for (const line of output.split("\n")) {
    const m = /^(\S+): (ok|refused: (.*))$/.exec(line.trim());
    if (m) answers.set(m[1], { node: m[1], ok: m[2] === "ok", detail: m[3] ?? "" });
  }
  return answers;
}

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

/** Waits until the job's task on each node has ended (a task's answer is in the job's output). */
const ENDED = new Set(["complete", "failed", "rejected", "shutdown", "orphaned"]);

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
      ContainerSpec: {
        Image: image,
        Command: ["sh", "-c", PROBE_SCRIPT],
        // Its answer names the node it ran on.
        Hostname: "{{.Node.Hostname}}",
        // NET_ADMIN in the task's own network namespace: the state added there goes with it.
        CapabilityAdd: ["CAP_NET_ADMIN"],
      },
      RestartPolicy: { Condition: "none" },
    },
    // A global service, not a global job: Swarm 20.10 leaves an ended job task's container on
    // every worker after the job is removed, and removes a service's on every node.
    Mode: { Global: {} },
    ...(authconfig ? { authconfig } : {}),
  } as unknown as Docker.CreateServiceOptions)) as unknown as { id: string };
  const service = d.getService(created.id);
  try {
    const all = await d.listNodes();
    const nodes = all.filter((n) => n.Status?.State === "ready" && n.Spec?.Availability === "active");
    const hostname = new Map(all.map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));
    const end = Date.now() + timeoutMs;
    let tasks: Array<{ NodeID?: string; Status?: { State?: string; Err?: string } }> = [];
    for (;;) {
      tasks = (await d.listTasks({ filters: { service: [created.id] } })) as typeof tasks;
      const ended = new Set(tasks.filter((t) => ENDED.has(t.Status?.State ?? "")).map((t) => t.NodeID));
      if (nodes.every((n) => ended.has(n.ID)) || Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const answers = nodeAnswers(await jobOutput(service));
    return nodes.map((n) => {
      const node = hostname.get(n.ID) ?? n.ID;
      const answer = answers.get(node);
      if (answer) return answer;
      const t = tasks.find((x) => x.NodeID === n.ID);
      const state = t ? `${t.Status?.State}${t.Status?.Err ? `: ${t.Status.Err}` : ""}` : "no task there";
      return { node, ok: false, detail: `the check gave no answer within ${timeoutMs / 1000} s (${state})` };
    });
  } finally {
    await service.remove().catch(() => undefined);
    // Should the manager's engine keep its own ended task's container after the service went (it
    // did while this was a global job), this API is that engine's, so it goes here.
    const left = await d.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.id=${created.id}`] } });
    for (const c of left)
      await d
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
}

/** The job's output, every node's lines together. */
async function jobOutput(service: Docker.Service): Promise<string> {
  const raw = (await service.logs({ stdout: true, stderr: true }).catch(() => Buffer.from(""))) as unknown as Buffer;
  return demuxToText(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
}
