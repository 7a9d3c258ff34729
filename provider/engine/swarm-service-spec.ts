/**
 * A process type as a Swarm service (pure): what the Formation provider asks the manager for.
 * One replicated service per process type, `quantity` replicas, reached by DNS only
 * (`tasks.<service>`): this kind of kernel has no IPVS, so Swarm's virtual IPs do not work, and
 * DNS round-robin needs none.
 */
import { getDynoSize, type DynoSize } from "../../sdk/dyno-sizes";
import { LABEL } from "../docker/labels";
import { STOP_GRACE_SECONDS } from "../formations/dyno-driver";
import { dynoDnsName, formationDnsName, spaceDnsEnv } from "../spaces/space-network";

/** What one process type's service is made from. */
export interface ProcessService {
  app: string;
  processType: string;
  quantity: number;
  size: string;
  release: string;
  /** The image as the nodes pull it, by digest (`registry:5000/dynoform/app-api@sha256:…`). */
  image: string;
  command?: string;
  env: Record<string, string>;
  network: string;
  webPort: number;
  preboot: boolean;
  bootTimeoutSeconds: number;
  /** Private and Shield spaces restart crashed dynos at once; the Common Runtime cools off. */
  inSpace: boolean;
  /** The space's overlay, which the dynos join under Heroku's Private Space DNS names. */
  space?: { network: string };
  /** Eco: seconds without a request before the cluster's dyno manager scales the app's Eco services to 0. */
  sleepAfterSeconds?: number;
}

/**
 * A dyno's own Private Space DNS name on a Swarm is its hostname: the engine registers a
 * container's hostname as one of its DNS names on each user-defined network, and Swarm spreads
 * task names to every node, while network aliases are one list for all of a service's tasks and
 * take no templates. The slot fills in per task (`1.web.api.app.localspace`).
 */
export function spaceHostname(app: string, processType: string): string {
  return dynoDnsName(app, processType, SLOT);
}

/** Linux's limit on a hostname (HOST_NAME_MAX). */
export const MAX_HOSTNAME = 64;

/** Pure: the problem with a process type whose dynos' DNS names would not fit in a hostname. */
export function spaceHostnameProblem(resource: string, app: string, processType: string): string | undefined {
  const longest = dynoDnsName(app, processType, 100);
  if (longest.length <= MAX_HOSTNAME) return undefined;
  return `Formation "${resource}", process type "${processType}": on a Swarm a dyno's Private Space DNS name is its hostname, which Linux limits to ${MAX_HOSTNAME} characters, and "${longest}" has ${longest.length} (rule swarm-space-dns-name). Fix: use a shorter process type name (or app name)`;
}

/** Swarm's template for a task's slot: the dyno's number. */
const SLOT = "{{.Task.Slot}}";

/** `<app>-<type>`: the service's name, so its dynos answer at `tasks.<app>-<type>`. */
export function serviceName(app: string, processType: string): string {
  return `${app}-${processType}`;
}

/** The DNS name the router resolves for an app's web dynos on every node. */
export function webTasksName(app: string): string {
  return `tasks.${serviceName(app, "web")}`;
}

const NS = 1_000_000_000;

/**
 * Swarm restarts a crashed task after a fixed delay, not Heroku's growing cool-offs (20 min and
 * up). 20 s keeps a crash loop from taking a node's CPU; in spaces Heroku restarts at once.
 */
export const CRASH_RESTART_DELAY_SECONDS = 20;

/** Cores a dedicated size reserves: about 6 compute units a core (Performance-M 12 → 2, Performance-L 50 → 8). */
export function dedicatedCores(size: Pick<DynoSize, "compute" | "dedicated">): number {
  return size.dedicated ? Math.max(1, Math.round(size.compute / 6)) : 0;
}

/**
 * A web dyno is up when it accepts connections on `$PORT` (Heroku's R10 check): the first of
 * bash, nc or node the image has checks it. Until then the task is `starting`, the router sends it
 * nothing and a start-first update keeps the old dyno.
 */
export const PORT_CHECK =
  'if command -v bash >/dev/null; then bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT"; elif command -v nc >/dev/null; then nc -z 127.0.0.1 "$PORT"; else node -e "require(\\"net\\").connect(+process.env.PORT,\\"127.0.0.1\\").on(\\"connect\\",()=>process.exit(0)).on(\\"error\\",()=>process.exit(1))"; fi';

/** The labels that find a process type's service again (Docker labels are the only inventory). */
export function serviceLabels(s: Pick<ProcessService, "app" | "processType" | "release" | "size">): Record<string, string> {
  return {
    [LABEL.managed]: "true",
    [LABEL.role]: "dyno",
    [LABEL.app]: s.app,
    [LABEL.process]: s.processType,
    [LABEL.release]: s.release,
    [LABEL.size]: s.size,
  };
}

/** The service spec of one process type (Docker Engine API 1.41 `ServiceSpec`). */
export function serviceSpec(s: ProcessService) {
  const size = getDynoSize(s.size);
  if (!size) throw new Error(`App "${s.app}", process type "${s.processType}": unknown dyno size "${s.size}"`);
  const env: Record<string, string> = { ...s.env, ...(s.space ? spaceDnsEnv(s.app, s.processType, SLOT) : {}) };
  if (s.processType === "web") env.PORT = String(s.webPort);
  const cores = dedicatedCores(size);
  const labels = serviceLabels(s);
  return {
    Name: serviceName(s.app, s.processType),
    // The idle time on the service only: the dyno manager and the router read services, not tasks.
    Labels: { ...labels, ...(s.sleepAfterSeconds ? { [LABEL.sleepAfter]: String(s.sleepAfterSeconds) } : {}) },
    TaskTemplate: {
      ContainerSpec: {
        Image: s.image,
        ...(s.space ? { Hostname: spaceHostname(s.app, s.processType) } : {}),
        ...(s.command ? { Command: ["/bin/sh", "-c", s.command] } : {}),
        // The task slot is the dyno's number: web.1 … web.N, as Heroku's `DYNO`.
        Env: [...Object.entries(env).map(([k, v]) => `${k}=${v}`), `DYNO=${s.processType}.{{.Task.Slot}}`],
        Labels: { ...labels, [LABEL.dyno]: `${s.processType}.{{.Task.Slot}}` },
        // docker-init as PID 1 passes SIGTERM on; SIGKILL 30 s later, as Heroku does.
        Init: true,
        StopSignal: "SIGTERM",
        StopGracePeriod: STOP_GRACE_SECONDS * NS,
        ...(s.processType === "web"
          ? {
              Healthcheck: {
                Test: ["CMD-SHELL", PORT_CHECK],
                Interval: 1 * NS,
                Timeout: 2 * NS,
                StartPeriod: s.bootTimeoutSeconds * NS,
                Retries: 3,
              },
            }
          : {}),
      },
      Resources: {
        Limits: { MemoryBytes: size.docker.memoryBytes, Pids: size.docker.pidsLimit },
        // The quota is reserved, so a node is not given more dynos than its memory holds; dedicated
        // sizes reserve cores too, which keeps other dynos off them.
        Reservations: { MemoryBytes: size.docker.memoryQuotaBytes, ...(cores ? { NanoCPUs: cores * NS } : {}) },
      },
      RestartPolicy: { Condition: "any", Delay: (s.inSpace ? 0 : CRASH_RESTART_DELAY_SECONDS) * NS, MaxAttempts: 0 },
      Networks: [
        { Target: s.network, Aliases: [`${s.processType}.${s.app}.dyno`] },
        // The space's overlay: every dyno of the process type answers its formation name.
        ...(s.space ? [{ Target: s.space.network, Aliases: [formationDnsName(s.app, s.processType)] }] : []),
      ],
    },
    Mode: { Replicated: { Replicas: s.quantity } },
    // Preboot: the new dynos start (and pass the port check) before the old ones get SIGTERM.
    UpdateConfig: { Parallelism: 0, Order: s.preboot && s.processType === "web" ? "start-first" : "stop-first", FailureAction: "pause" },
    EndpointSpec: { Mode: "dnsrr" },
  };
}
