import { spawn, type ChildProcess } from "node:child_process";
import * as http from "node:http";
import * as path from "node:path";
import { ensureDynoManager, removeDynoManagerIfIdle } from "../../provider/formations/dyno-manager-controller";
import { startDyno } from "../../provider/formations/dyno-driver";
import { getDynoSize } from "../../sdk/dyno-sizes";
import { testDyno } from "./docker";
import { freePort } from "./pebble";
import { REPO } from "./pulumi";
import type { RouterTestApp } from "./router-app";

/** `dynoform dashboard` as a user starts it (the built CLI, a child process), on a free port. */
export class DashboardProcess {
  url = "";
  private child?: ChildProcess;

  async start(): Promise<void> {
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(REPO, "dist/cli/dynoform.js"), "dashboard", "--listen", `127.0.0.1:${port}`], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dynoform dashboard did not start within 20 s: ${output}`)), 20_000);
      const seen = (d: Buffer) => {
        output += d.toString();
        if (output.includes("dynoform dashboard: http://")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", seen);
      child.stderr?.on("data", seen);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`dynoform dashboard exited (${code}): ${output}`));
      });
    });
    this.url = `http://127.0.0.1:${port}`;
  }

  /** GET a path of the dashboard: status, content type, body. */
  get(p: string): Promise<{ status: number; type: string; body: string }> {
    return new Promise((resolve, reject) => {
      http
        .get(`${this.url}${p}`, (res) => {
          let body = "";
          res.on("data", (d) => (body += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }));
        })
        .on("error", reject);
    });
  }

  async json<T = Record<string, unknown>>(p: string): Promise<{ status: number; body: T }> {
    const r = await this.get(p);
    return { status: r.status, body: JSON.parse(r.body) as T };
  }

  /** SIGTERM (the dashboard closes its server and exits 0), SIGKILL if it lingers. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}

/** Perl holding `mb` MB in 10 MB strings, then idling: a dyno with a known memory in use. */
export const holdMemory = (mb: number) => `perl -e 'my @a; push @a, q(a) x (10*1024*1024) for 1..${mb / 10}; sleep 3600'`;

/**
 * Sets the dyno manager's sampling to every second and its crash cool-offs short (test values),
 * restarting it with them; `restore` puts the environment back.
 */
export async function fastDynoManager(): Promise<{ restore: () => Promise<void> }> {
  const saved: Record<string, string | undefined> = {};
  const fast = { DYNOFORM_CRASH_BACKOFF_SCALE: "0.0025", DYNOFORM_METRICS_INTERVAL: "1" };
  for (const [k, v] of Object.entries(fast)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  await ensureDynoManager();
  return {
    // After the test's apps are gone: the manager (and its notifier and volumes) too, as no dyno is left.
    restore: async () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await removeDynoManagerIfIdle();
    },
  };
}

/**
 * Beside a {@link RouterTestApp}'s web dynos, on its network and image: `worker.1` holding 100 MB
 * and `crash.1`, which exits after 4 s every time it starts (crashes and restarts to count).
 */
export async function startMetricsWorkers(t: RouterTestApp): Promise<void> {
  const size = getDynoSize("standard-1x")!;
  const base = { ...testDyno(t.app, 1, t.image), network: t.network, aliases: [], limits: size.docker };
  await startDyno({ ...base, processType: "worker", command: holdMemory(100) });
  await startDyno({ ...base, processType: "crash", command: "sleep 4; exit 3" });
}

/** An Eco app of one sleeping worker on `t`'s network: an app that has no metrics. */
export async function startEcoApp(t: RouterTestApp, app: string): Promise<void> {
  await startDyno({
    ...testDyno(app, 1, t.image),
    network: t.network,
    aliases: [],
    processType: "worker",
    size: "eco",
    command: "sleep 3600",
    limits: getDynoSize("eco")!.docker,
  });
}
