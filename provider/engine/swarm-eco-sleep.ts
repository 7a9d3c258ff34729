/**
 * Eco sleeping on a Swarm, the pure part. On one engine the dyno manager stops an idle Eco app's
 * containers; on a Swarm it scales the app's Eco services to 0 replicas and notes on each service
 * how many it had (a label), so waking, `refresh` and `preview` all know the formation's quantity
 * while no dyno runs. Which apps sleep is the single engine's rule (idle-controller.ts).
 *
 * No import outside `provider/`: the cluster's dyno manager (swarm-dyno-manager.ts) carries it.
 */
import { LABEL } from "../docker/labels";
import { appsToSleep, ECO_SLEEP_AFTER_SECONDS, type IdleDyno } from "../dyno-manager/idle-controller";

/** On a sleeping service: the replicas it had when it went to sleep (the formation's quantity). */
export const ASLEEP_LABEL = "dynoform.asleep-replicas";

/** The parts of a Swarm service spec sleeping reads and writes (Docker Engine API `ServiceSpec`). */
export interface SleepableSpec {
  Labels?: Record<string, string>;
  Mode?: { Replicated?: { Replicas?: number } };
}

/** One of an app's Eco services, as the cluster's dyno manager sees it. */
export interface EcoService {
  app: string;
  processType: string;
  spec: SleepableSpec;
  /** When its newest running dyno started (ms since the epoch); 0 with none running (yet). */
  startedAtMs: number;
}

/** The replicas a sleeping service had, or undefined when it is awake. */
export function asleepReplicas(spec: SleepableSpec): number | undefined {
  const v = spec.Labels?.[ASLEEP_LABEL];
  return v === undefined || !/^\d+$/.test(v) ? undefined : Number(v);
}

/** The formation's quantity for a service: its replicas, or, asleep, the replicas it will wake to. */
export function formationReplicas(spec: SleepableSpec): number {
  return asleepReplicas(spec) ?? spec.Mode?.Replicated?.Replicas ?? 0;
}

/** Apps whose Eco web service has had no request (nor a dyno start) for its idle time. */
export function swarmAppsToSleep(services: EcoService[], lastRequestMs: ReadonlyMap<string, number>, nowMs: number): string[] {
  const dynos: IdleDyno[] = services.map((s) => ({
    app: s.app,
    processType: s.processType,
    // A service just woken has no running dyno for a few seconds: it is not idle, it is booting
    // (put back to sleep then, the request the router holds would never be served).
    running: asleepReplicas(s.spec) === undefined && (s.spec.Mode?.Replicated?.Replicas ?? 0) > 0 && s.startedAtMs > 0,
    startedAtMs: s.startedAtMs,
    sleepAfterSeconds: Number(s.spec.Labels?.[LABEL.sleepAfter]) || ECO_SLEEP_AFTER_SECONDS,
  }));
  return appsToSleep(dynos, lastRequestMs, nowMs);
}

/** The spec of a service put to sleep: 0 replicas, and the count it had on the label. */
export function asleepSpec<S extends SleepableSpec>(spec: S): S {
  const replicas = spec.Mode?.Replicated?.Replicas ?? 0;
  return { ...spec, Labels: { ...(spec.Labels ?? {}), [ASLEEP_LABEL]: String(replicas) }, Mode: { Replicated: { Replicas: 0 } } };
}

/** The spec of a sleeping service woken: its replicas back, the label gone. */
export function awakeSpec<S extends SleepableSpec>(spec: S): S {
  const replicas = asleepReplicas(spec);
  if (replicas === undefined) return spec;
  const { [ASLEEP_LABEL]: _gone, ...labels } = spec.Labels ?? {};
  return { ...spec, Labels: labels, Mode: { Replicated: { Replicas: replicas } } };
}

/**
 * The app a cluster router's request line is for. HAProxy's `option httplog` line names
 * `<backend>/<server>`, and the cluster router's backends are `app-<app>` (swarm-router-config.ts).
 */
export function routerRequestApp(line: string): string | undefined {
  return / app-([a-z0-9-]+)\/\S+ -?\d+\/-?\d+\/-?\d+\/-?\d+\/\+?-?\d+ /.exec(line)?.[1];
}
