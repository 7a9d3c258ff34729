/**
 * Whether a fresh dyno has booted, as the router sees it: the router connects to the dyno's
 * address on the app network, so the probe runs there. Used wherever the dyno manager starts a
 * web dyno beside running ones (autoscaling, preboot cycling) before it may take requests.
 */
import { type DockerSocket, execOutput } from "../docker/docker-socket";

/** Heroku's R10 boot timeout. */
export const BOOT_TIMEOUT_MS = 60_000;

interface Booting {
  State: { Running: boolean; Restarting?: boolean; ExitCode: number };
  NetworkSettings: { Networks: Record<string, { IPAddress?: string }> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the dyno accepts connections on its port (through `router`; without one, until it
 * runs) and returns its address on `network`. Throws with Heroku's code when it exits (H10) or
 * does not listen within the boot timeout (R10).
 */
export async function waitBooted(
  docker: DockerSocket,
  id: string,
  name: string,
  where: { network: string; port: number; router?: string },
): Promise<string | undefined> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const { status, body: info } = await docker.request<Booting>("GET", `/containers/${id}/json`);
    if (status !== 200 || !info || (!info.State.Running && !info.State.Restarting)) {
      throw new Error(`${name} exited with status ${info?.State?.ExitCode ?? "?"} while booting (Heroku's H10)`);
    }
    const ip = info.NetworkSettings.Networks[where.network]?.IPAddress;
    if (!where.router) return ip;
    if (ip) {
      const probe = `socat -u OPEN:/dev/null TCP:${ip}:${where.port},connect-timeout=1 2>/dev/null && echo open`;
      const said = await execOutput(docker, where.router, ["sh", "-c", probe]).catch(() => "");
      if (said.includes("open")) return ip;
    }
    await sleep(250);
  }
  throw new Error(
    `${name} did not accept connections on $PORT (${where.port}) within ${BOOT_TIMEOUT_MS / 1000} s (Heroku's R10 boot timeout)`,
  );
}
