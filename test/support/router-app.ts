import * as net from "node:net";
import * as path from "node:path";
import { startDyno, stopDyno, type DynoSpec } from "../../provider/formations/dyno-driver";
import { buildImage } from "../../provider/docker/image-build";
import { LABEL } from "../../provider/docker/labels";
import { readRequestLog } from "../../provider/router/router-log";
import { dynoAddress, ensureNetwork, removeAppNetwork, syncRouter, type RouterSettings } from "../../provider/router/router-controller";
import type { FormationInputs } from "../../sdk/formation";
import { docker } from "./docker";
import { REPO, uniqueSuffix } from "./pulumi";

/**
 * One app of `test/fixtures/router-app` behind a router of its own, made with the provider's own
 * modules and the real Docker Engine (no Pulumi): for tests of what the router does with requests.
 */
export class RouterTestApp {
  readonly app: string;
  readonly network: string;
  readonly hostname: string;
  readonly url: string;
  image = "";
  private ownsImage = true;

  constructor(
    prefix: string,
    readonly router: RouterSettings,
  ) {
    this.app = `${prefix}-${uniqueSuffix()}`;
    this.network = `dynoform-app-${this.app}`;
    this.hostname = `${this.app}.test.localhost`;
    this.url = `http://${this.hostname}:${router.httpPort}/`;
  }

  /** Builds the app's image, or uses `image` (another RouterTestApp's) when given. */
  async setup(image?: string): Promise<void> {
    const labels = { [LABEL.managed]: "true", [LABEL.role]: "app-image", [LABEL.app]: this.app };
    this.image = image ?? (await buildImage(path.join(REPO, "test/fixtures/router-app"), `dynoform/app-${this.app}:test`, labels)).tag;
    this.ownsImage = image === undefined;
    await ensureNetwork(this.network, {
      [LABEL.managed]: "true",
      [LABEL.role]: "app-network",
      [LABEL.app]: this.app,
      [LABEL.hostname]: this.hostname,
      [LABEL.webPort]: "5000",
      [LABEL.router]: this.router.name,
    });
  }

  spec(index: number, release = "v1", over: Partial<DynoSpec> = {}): DynoSpec {
    return {
      ...over,
      app: this.app,
      processType: "web",
      index,
      release,
      image: this.image,
      env: {},
      network: this.network,
      aliases: [dynoAddress(this.app, `web.${index}`, release)],
      webPort: 5000,
      limits: { memoryBytes: 512 * 1024 * 1024, cpuShares: 1024, pidsLimit: 256 },
      size: over.size ?? "standard-1x",
    };
  }

  /** Starts web dynos 1…n and points the router at them. */
  async scale(n: number, over: Partial<DynoSpec> = {}): Promise<void> {
    for (let i = 1; i <= n; i++) await startDyno(this.spec(i, "v1", over));
    await syncRouter(this.router);
  }

  /**
   * Formation inputs for this app's web dynos behind its router, as a program would give them
   * (the Formation provider called directly, without Pulumi): for autoscaling's test and bench.
   */
  formationInputs(resource: string, processes: FormationInputs["processes"]): FormationInputs {
    return {
      resource,
      app: this.app,
      release: "v1",
      image: this.image,
      config: {},
      secrets: {},
      processCommands: {},
      alerts: {},
      alertWebhookUrl: "",
      dashboardUrl: "",
      network: this.network,
      webPort: 5000,
      router: this.router.name,
      routerHttpPort: this.router.httpPort,
      routerHttpsPort: 0,
      spaceNetwork: "",
      processes,
      preboot: true,
      bootTimeoutSeconds: 60,
      ecoSleepAfterSeconds: 1800,
    };
  }

  sync(): Promise<string[]> {
    return syncRouter(this.router);
  }

  async cleanup(): Promise<void> {
    const all = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${this.app}`] } });
    await Promise.all(all.map((d) => stopDyno(d.Id)));
    await removeAppNetwork(this.router, this.network).catch(() => undefined);
    if (this.ownsImage)
      await docker
        .getImage(this.image)
        .remove({ force: true })
        .catch(() => undefined);
    // The router goes with its last app (removeAppNetwork); these catch a test that failed midway.
    if ((await docker.listNetworks({ filters: { label: [`${LABEL.router}=${this.router.name}`] } })).length === 0) {
      await docker
        .getContainer(this.router.name)
        .remove({ force: true })
        .catch(() => undefined);
      await docker
        .getNetwork(this.router.name)
        .remove()
        .catch(() => undefined);
    }
  }
}

/** Opens a WebSocket through the router, sends one text message and returns the first reply. */
export function websocketEcho(port: number, host: string, message: string, path = "/ws"): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => socket.destroy(new Error("no WebSocket reply within 10 s")), 10_000);
    let buf = Buffer.alloc(0);
    let upgraded = false;
    socket.on("connect", () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        if (!head.startsWith("HTTP/1.1 101")) return reject(new Error(`no upgrade: ${head}`));
        upgraded = true;
        buf = buf.subarray(end + 4);
        const mask = Buffer.from([1, 2, 3, 4]);
        const payload = Buffer.from(message).map((b, i) => b ^ mask[i % 4]);
        socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload)]));
      }
      if (upgraded && buf.length >= 2 && buf.length >= 2 + (buf[1] & 0x7f)) {
        clearTimeout(timer);
        resolve(buf.subarray(2, 2 + (buf[1] & 0x7f)).toString());
        socket.destroy();
      }
    });
    socket.on("error", reject);
  });
}

/** The router's request log lines (Heroku's format, one per request), without their timestamps. */
export async function routerLog(router: string): Promise<string[]> {
  return (await readRequestLog(docker.getContainer(router))).map((l) => l.slice(l.indexOf(" ") + 1));
}
