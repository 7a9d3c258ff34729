/**
 * A lock on one router that holds across processes and machines, because it lives with the
 * Docker Engine: the holder runs `flock` on a file inside a small long-lived container
 * (`dynoform-locks`) through `docker exec`, with the exec's stdin on the holder's own
 * connection. Releasing ends that stdin; a holder that dies closes the connection, the engine
 * closes the stdin, and the kernel drops the lock with the process: no lease, no stale lock.
 */
import * as os from "node:os";
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import { docker } from "../docker/docker-client";
import { execIn } from "../docker/docker-exec";
import { LABEL } from "../docker/labels";
import { ensureSingletonContainer } from "../docker/singleton-container";
import { ensureRouterImage } from "./router-image";

/** The container that holds the lock files: one per engine, kept (it costs a sleeping process). */
export const LOCK_CONTAINER = "dynoform-locks";
const LOCK_DIR = "/run/dynoform-locks";
const ACQUIRED = "dynoform-lock-acquired";

/** How long a change waits for another one on the same router (a first router image build fits). */
export const LOCK_WAIT_SECONDS = 300;

let containerReady = false;

async function ensureLockContainer(): Promise<Docker.Container> {
  if (containerReady) return docker().getContainer(LOCK_CONTAINER);
  const c = await ensureSingletonContainer({
    name: LOCK_CONTAINER,
    create: async () => ({
      Image: await ensureRouterImage(),
      Entrypoint: ["sleep", "infinity"],
      Cmd: [],
      Labels: { [LABEL.managed]: "true", [LABEL.role]: "router-lock" },
      HostConfig: { NetworkMode: "none", RestartPolicy: { Name: "always" }, Init: true },
    }),
  });
  containerReady = true;
  return c;
}

function lockFile(key: string): string {
  return `${LOCK_DIR}/${key.replace(/[^A-Za-z0-9_.-]/g, "_")}`;
}

/** Who holds the lock now, as its holder wrote it ("" when unknown). */
async function holderOf(key: string): Promise<string> {
  const c = docker().getContainer(LOCK_CONTAINER);
  const r = await execIn(c, ["cat", `${lockFile(key)}.holder`]).catch(() => undefined);
  return r?.exitCode === 0 ? r.output.trim() : "";
}

/** A held lock: `release` ends it (also what the holder's death does). */
interface Held {
  release(): Promise<void>;
}

async function acquire(key: string, what: string, waitSeconds: number): Promise<Held> {
  const c = await ensureLockContainer();
  const file = lockFile(key);
  const holder = `${what} (process ${process.pid} on ${os.hostname()}, since ${new Date().toISOString()})`;
  const script = `mkdir -p ${LOCK_DIR} && exec flock -w "$WAIT" ${file} sh -c 'printf "%s\\n" "$HOLDER" > ${file}.holder; echo ${ACQUIRED}; exec cat >/dev/null'`;
  const exec = await c.exec({
    Cmd: ["sh", "-c", script],
    Env: [`HOLDER=${holder}`, `WAIT=${waitSeconds}`],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = (await exec.start({ hijack: true, stdin: true })) as unknown as NodeJS.ReadWriteStream & { destroy(): void };
  const out = new PassThrough();
  c.modem.demuxStream(stream, out, out);
  let output = "";
  const closed = new Promise<void>((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
  });
  const got = await new Promise<boolean>((resolve) => {
    out.on("data", (d: Buffer) => {
      output += d.toString();
      if (output.includes(ACQUIRED)) resolve(true);
    });
    void closed.then(() => resolve(false));
  });
  if (!got) {
    const info = await exec.inspect().catch(() => undefined);
    const now = await holderOf(key);
    throw new Error(
      `could not lock router "${key}" for ${what}: ${info?.ExitCode === 1 && !output.trim() ? `another change has held it for more than ${waitSeconds} s${now ? `: ${now}` : ""}` : `flock in ${LOCK_CONTAINER} failed (exit ${info?.ExitCode ?? "?"}): ${output.trim()}`}. Fix: wait for that \`pulumi up\` or \`destroy\` to finish and run again; a holder that died has released it already`,
    );
  }
  return {
    async release() {
      stream.end();
      const timer = new Promise<void>((r) => setTimeout(r, 5000).unref());
      await Promise.race([closed, timer]);
      stream.destroy();
    },
  };
}

/**
 * Runs `fn` while this process holds the engine-wide lock `key` (a router's name): no other
 * process, here or on another machine using the same engine, changes that router meanwhile.
 */
export async function withRouterLock<T>(key: string, what: string, fn: () => Promise<T>, waitSeconds = LOCK_WAIT_SECONDS): Promise<T> {
  let held: Held;
  try {
    held = await acquire(key, what, waitSeconds);
  } catch (e) {
    // The lock container was removed or stopped under us: make it again once.
    const m = (e as Error).message ?? "";
    if (!containerReady || !/(no such container|is not running|is restarting|404|409)/i.test(m)) throw e;
    containerReady = false;
    held = await acquire(key, what, waitSeconds);
  }
  try {
    return await fn();
  } finally {
    await held.release();
  }
}
