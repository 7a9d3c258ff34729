import type Docker from "dockerode";
import { lastLogLines } from "../docker/docker-exec";
import { canConnect } from "../docker/port-probe";

/** Heroku's R10: a web dyno has 60 s to bind `$PORT`. */
export const BOOT_TIMEOUT_SECONDS = 60;

export class BootError extends Error {}

/**
 * Waits until the dyno accepts TCP connections on its port, from this host to the dyno's address
 * on its network. Fails early when the container exits, with its last log lines either way.
 */
export async function waitForPort(
  container: Docker.Container,
  network: string,
  port: number,
  dyno: string,
  timeoutSeconds = BOOT_TIMEOUT_SECONDS,
): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  while (Date.now() < deadline) {
    const info = await container.inspect();
    if (!info.State.Running && !info.State.Restarting) {
      throw new BootError(
        `dyno ${dyno} exited with status ${info.State.ExitCode} while booting (Heroku's H10: app crashed). Last log lines:\n${indent(await lastLogLines(container))}`,
      );
    }
    const ip = info.NetworkSettings.Networks[network]?.IPAddress;
    if (ip && (await canConnect(ip, port))) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new BootError(
    `dyno ${dyno} did not accept connections on $PORT (${port}) within ${timeoutSeconds} s (Heroku's R10 boot timeout). Last log lines:\n${indent(await lastLogLines(container))}\nFix: make the web process listen on the port given in $PORT, on 0.0.0.0.`,
  );
}

/**
 * Non-web dynos have no port to check: they must still be running a moment after they start.
 */
export async function waitStillRunning(container: Docker.Container, dyno: string, settleMs = 1500): Promise<void> {
  await new Promise((r) => setTimeout(r, settleMs));
  const info = await container.inspect();
  if (!info.State.Running || info.State.Restarting || info.RestartCount > 0) {
    throw new BootError(
      `dyno ${dyno} exited right after it started (status ${info.State.ExitCode}). Last log lines:\n${indent(await lastLogLines(container))}`,
    );
  }
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split("\n")
    .map((l) => `  | ${l}`)
    .join("\n");
}
