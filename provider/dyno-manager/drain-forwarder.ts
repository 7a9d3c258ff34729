/**
 * The log drain forwarder: a small daemon in its own container (the dyno manager's image, another
 * entry point) that delivers what the dyno manager spools for each drain (drain-spool.ts) to the
 * drain's receiver (drain-transport.ts), in order, and retries with back-off while the receiver
 * is down: the spool keeps the lines meanwhile, up to its limits; what went beyond them is
 * reported to the drain as Heroku's L10 line once it answers again.
 *
 * Why a container of its own, as the alert notifier: the manager holds the Docker socket and has
 * no network; the forwarder has a network with egress and no Docker socket, and only the drains
 * volume. Drains are sent side by side, so one slow receiver delays only its own lines.
 *
 * Its stdout carries lines for `dynoform logs` (manager-log.ts format, `heroku[logplex]`), with
 * the drain's URL masked to scheme, host and port.
 */
import { DRAINS_DIR, loadDrainConfigs, spoolDir, type DrainConfig } from "./drain-store";
import { SpoolReader } from "./drain-spool";
import { transportFor, type DrainTransport } from "./drain-transport";
import { formatManagerLogLine } from "./manager-log";
import { overflowLine } from "./syslog-frame";

/** Lines per syslog write or HTTPS POST (Logplex batches HTTPS drains by the hundred). */
const BATCH_LINES = 100;
/** Retry back-off: 0.5 s doubling up to 10 s, so a receiver back up is found within seconds. */
const retryDelayMs = (failures: number) => Math.min(10_000, 500 * 2 ** Math.min(failures - 1, 5));

/** `syslog+tls://logs.example.com:6514` (no user info, path or query: they may hold a token). */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(not a URL)";
  }
}

interface DrainState {
  config: DrainConfig;
  reader: SpoolReader;
  transport: DrainTransport;
  busy: boolean;
  failures: number;
  nextAtMs: number;
}

export interface ForwarderOptions {
  dir?: string;
  /** A line of an app's log (space-level drains: of the forwarder's own log). */
  appLog?: (app: string, source: string, text: string) => void;
  log?: (message: string) => void;
}

const stamp = () => new Date().toISOString();

/** Delivers every drain's spool; call {@link tick} often. */
export class DrainForwarder {
  private readonly drains = new Map<string, DrainState>();
  private readonly dir: string;
  private readonly appLog: (app: string, source: string, text: string) => void;
  private readonly log: (message: string) => void;

  constructor(opts: ForwarderOptions = {}) {
    this.dir = opts.dir ?? DRAINS_DIR;
    this.log = opts.log ?? ((m) => process.stdout.write(`${stamp()} ${m}\n`));
    this.appLog =
      opts.appLog ?? ((app, source, text) => process.stdout.write(`${formatManagerLogLine({ app, source, time: stamp(), text })}\n`));
  }

  /** Picks up new drains, forgets removed ones, and starts a delivery for each drain that is due and idle. */
  tick(nowMs = Date.now()): void {
    const configs = loadDrainConfigs(this.dir);
    const live = new Set(configs.map((c) => c.token));
    for (const [token, d] of this.drains) {
      if (live.has(token)) continue;
      d.transport.close();
      this.drains.delete(token);
    }
    for (const config of configs) {
      let d = this.drains.get(config.token);
      if (d && (d.config.url !== config.url || d.config.trustedCa !== config.trustedCa)) {
        d.transport.close();
        d = undefined;
      }
      if (!d) {
        try {
          d = {
            config,
            reader: new SpoolReader(spoolDir(config.token, this.dir)),
            transport: transportFor(config),
            busy: false,
            failures: 0,
            nextAtMs: 0,
          };
        } catch (e) {
          this.log((e as Error).message);
          continue;
        }
        this.drains.set(config.token, d);
      }
      if (d.busy || d.nextAtMs > nowMs) continue;
      d.busy = true;
      this.deliver(d)
        .catch((e) => this.log(`drain ${config.token}: ${(e as Error).message}`))
        .finally(() => {
          d.busy = false;
        });
    }
  }

  /** Sends batches until the spool is empty or the receiver fails. */
  private async deliver(d: DrainState): Promise<void> {
    for (;;) {
      const batch = d.reader.read(BATCH_LINES);
      if (!batch) return;
      const l10 = batch.overflow ? overflowLine(batch.overflow.count, batch.overflow.since, stamp()) : undefined;
      const lines = l10 ? [l10, ...batch.lines] : batch.lines;
      try {
        await d.transport.send(lines, `${d.config.token}-${batch.id}`);
      } catch (e) {
        d.failures++;
        const delay = retryDelayMs(d.failures);
        d.nextAtMs = Date.now() + delay;
        if (d.failures === 1)
          this.say(
            d,
            `Drain ${maskUrl(d.config.url)} (${d.config.token}) is not answering (${(e as Error).message}); its lines are buffered and retried`,
          );
        return;
      }
      batch.commit();
      if (l10) this.say(d, l10.m);
      if (d.failures > 0)
        this.say(
          d,
          `Drain ${maskUrl(d.config.url)} (${d.config.token}) is answering again after ${d.failures} failed attempt(s); sending what was buffered`,
        );
      d.failures = 0;
      d.nextAtMs = 0;
    }
  }

  /** A `heroku[logplex]` line for the drain's app (a space drain's go to the forwarder's own log). */
  private say(d: DrainState, text: string): void {
    if (d.config.app) this.appLog(d.config.app, "heroku[logplex]", text);
    else this.log(`space ${d.config.space}: ${text}`);
  }
}

function main(): void {
  process.stdout.write(`${stamp()} log drain forwarder started\n`);
  process.on("SIGTERM", () => process.exit(0));
  const forwarder = new DrainForwarder();
  setInterval(() => forwarder.tick(), 200);
}

if (require.main === module) main();
