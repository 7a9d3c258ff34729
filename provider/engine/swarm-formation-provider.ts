/**
 * The Formation on a Swarm: each process type is a replicated service (swarm-service-spec.ts),
 * its quantity the replicas. Swarm places the dynos on the nodes, restarts crashed ones and, for a
 * new release, replaces them stop-first (start-first with preboot: the new web dynos pass the port
 * check before the old ones get SIGTERM, and the router sends requests only to dynos that pass).
 */
import type * as pulumi from "@pulumi/pulumi";
import type Docker from "dockerode";
import { z } from "zod";
import { estimateMonthlyCost } from "../../sdk/cost";
import { getDynoSize } from "../../sdk/dyno-sizes";
import type { SwarmEngine } from "../../sdk/engine";
import type { FormationInputs, FormationOutputs } from "../../sdk/formation";
import { checkInputs, FormationInputsSchema, known } from "../../sdk/input-schemas";
import { PROVIDER_VERSION } from "../../sdk/lazy-provider";
import { LABEL, labelFilter } from "../docker/labels";
import { diffFormation, formationProblems } from "../formations/formation-provider";
import { clusterDocker, unreachable } from "./cluster-client";
import { registryAuth } from "./registry-push";
import { keepRestartCount } from "./swarm-restart-plan";
import { ensureSwarmDynoManager, removeSwarmDynoManagerIfIdle } from "./swarm-dyno-manager-service";
import { formationReplicas } from "./swarm-eco-sleep";
import { syncSwarmRouter, waitNoTasks } from "./swarm-router";
import { serviceName, serviceSpec, spaceHostnameProblem } from "./swarm-service-spec";

const engineOf = (f: Pick<FormationInputs, "engine" | "resource">): SwarmEngine => {
  if (!f.engine) throw new Error(`Formation "${f.resource}": the Swarm provider got no engine (dynoform:engine swarm)`);
  return f.engine as SwarmEngine;
};

/** What on one engine the dyno manager does and a Swarm does not yet: named, with the fix. */
export function swarmFormationProblems(f: FormationInputs): string[] {
  const problems: string[] = [];
  for (const [type, p] of Object.entries(f.processes ?? {})) {
    if (p.autoscaling)
      problems.push(
        `Formation "${f.resource}", process type "${type}": autoscaling is not done on a Swarm yet (the dyno manager runs on one engine). Fix: remove \`autoscaling\` and set \`quantity\``,
      );
  }
  if (f.space && typeof f.app === "string")
    for (const type of Object.keys(f.processes ?? {})) {
      const problem = spaceHostnameProblem(f.resource, f.app, type);
      if (problem) problems.push(problem);
    }
  if (Object.keys(f.alerts ?? {}).length > 0)
    problems.push(`Formation "${f.resource}": threshold alerts are not done on a Swarm yet. Fix: remove \`alerts\``);
  return problems;
}

/** The app's services on the manager, by process type. */
async function servicesOf(d: Docker, app: string): Promise<Map<string, Docker.Service & { info: ServiceInfo }>> {
  const list = (await d.listServices({ filters: labelFilter({ [LABEL.role]: "dyno", [LABEL.app]: app }) })) as unknown as ServiceInfo[];
  return new Map(list.map((s) => [s.Spec.Labels?.[LABEL.process] ?? "", Object.assign(d.getService(s.ID), { info: s })]));
}

interface ServiceInfo {
  ID: string;
  Version: { Index: number };
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    Mode?: { Replicated?: { Replicas?: number } };
    TaskTemplate: { ContainerSpec: { Image: string; Env?: string[] }; ForceUpdate?: number };
  };
}

interface TaskInfo {
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  DesiredState: string;
  Status: { State: string; Err?: string; Message?: string };
  Spec: { ContainerSpec: { Image: string; Env?: string[] } };
}

async function tasksOf(d: Docker, serviceId: string): Promise<TaskInfo[]> {
  return ((await d.listTasks({ filters: { service: [serviceId] } })) as unknown as TaskInfo[]).filter((t) => t.ServiceID === serviceId);
}

/** Running dynos of the current spec: `web.1`, … (the task slot). */
function liveDynos(type: string, spec: ServiceInfo["Spec"], tasks: TaskInfo[]): string[] {
  const current = (t: TaskInfo) =>
    t.Spec.ContainerSpec.Image === spec.TaskTemplate.ContainerSpec.Image &&
    JSON.stringify(t.Spec.ContainerSpec.Env ?? []) === JSON.stringify(spec.TaskTemplate.ContainerSpec.Env ?? []);
  return tasks.filter((t) => t.DesiredState === "running" && t.Status.State === "running" && current(t)).map((t) => `${type}.${t.Slot}`);
}

/**
 * Waits until every process type runs its quantity of dynos of this release (web: accepting
 * connections). Past the boot timeout (plus a pull's time) it fails, naming the dynos and why.
 */
async function waitConverged(f: FormationInputs, d: Docker): Promise<string[]> {
  const deadline = Date.now() + (f.bootTimeoutSeconds + 60) * 1000;
  for (;;) {
    const services = await servicesOf(d, f.app);
    const dynos: string[] = [];
    const missing: string[] = [];
    for (const [type, p] of Object.entries(f.processes)) {
      const s = services.get(type);
      const tasks = s ? await tasksOf(d, s.info.ID) : [];
      const live = s ? liveDynos(type, s.info.Spec, tasks) : [];
      dynos.push(...live);
      if (live.length < p.quantity) {
        const why = tasks
          .filter((t) => t.Status.Err)
          .slice(-3)
          .map((t) => `${type}.${t.Slot}: ${t.Status.Err}`);
        missing.push(`${type}: ${live.length} of ${p.quantity} up${why.length ? ` (${why.join("; ")})` : ""}`);
      }
    }
    if (missing.length === 0) return dynos.sort();
    if (Date.now() > deadline)
      throw new Error(
        `Formation "${f.resource}" (app "${f.app}", release ${f.release}): dynos did not boot on the Swarm within ${f.bootTimeoutSeconds} s (R10): ${missing.join("; ")}. Fix: see \`docker service ps ${serviceName(f.app, "web")} --no-trunc\` on the manager; a web dyno must accept connections on $PORT`,
      );
    // A quarter second: `up` returns within a poll of the last dyno passing its port check.
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function converge(f: FormationInputs): Promise<{ dynos: string[] }> {
  const engine = engineOf(f);
  const d = clusterDocker(engine);
  const existing = await servicesOf(d, f.app).catch((e) => {
    throw unreachable(`Formation "${f.resource}"`, engine, e);
  });
  const authconfig = registryAuth(engine.registry);
  for (const [type, p] of Object.entries(f.processes)) {
    const spec = serviceSpec({
      app: f.app,
      processType: type,
      quantity: p.quantity,
      size: p.size,
      release: f.release,
      image: f.image,
      command: f.processCommands?.[type],
      env: { ...(f.config ?? {}), ...(f.secrets ?? {}) },
      network: f.network,
      webPort: f.webPort,
      preboot: f.preboot === true,
      bootTimeoutSeconds: f.bootTimeoutSeconds,
      inSpace: Boolean(f.space),
      ...(f.space && f.spaceNetwork ? { space: { network: f.spaceNetwork } } : {}),
      sleepAfterSeconds: getDynoSize(p.size)?.features.sleeps ? f.ecoSleepAfterSeconds : undefined,
    });
    const s = existing.get(type);
    if (s)
      await s.update({
        version: s.info.Version.Index,
        ...keepRestartCount(spec, s.info.Spec.TaskTemplate),
        ...(authconfig ? { authconfig } : {}),
      });
    else await d.createService({ ...spec, ...(authconfig ? { authconfig } : {}) });
  }
  // Process types the program no longer has.
  const gone = [...existing].filter(([type]) => !(type in f.processes));
  await removeServices(
    d,
    gone.map(([, s]) => s.info.ID),
  );
  // Only Eco formations (or one that was Eco) touch the manager service and the router.
  if (sleeps(f) || existing.get("web")?.info.Spec.Labels?.[LABEL.sleepAfter]) await syncEcoSleeping(f, engine);
  return { dynos: await waitConverged(f, d) };
}

/** Whether the formation's dynos sleep when idle (Eco). */
const sleeps = (f: FormationInputs) => Object.values(f.processes).some((p) => getDynoSize(p.size)?.features.sleeps);

/**
 * Eco sleeping: the cluster's dyno manager runs while an Eco formation does, and the router holds
 * and wakes an Eco app's requests (it reads which apps sleep from their web services).
 */
async function syncEcoSleeping(f: FormationInputs, engine: SwarmEngine, leaving?: string): Promise<void> {
  if (sleeps(f) && !leaving) await ensureSwarmDynoManager(engine);
  else await removeSwarmDynoManagerIfIdle(engine, leaving);
  if (f.router) await syncSwarmRouter(engine, { name: f.router, httpPort: f.routerHttpPort });
}

/** Removes services and waits until their dynos have stopped (SIGTERM, up to 30 s, SIGKILL). */
async function removeServices(d: Docker, ids: string[]): Promise<void> {
  await Promise.all(
    ids.map(async (id) => {
      await d
        .getService(id)
        .remove()
        .catch(() => undefined);
      await waitNoTasks(d, id);
    }),
  );
}

function outputs(f: FormationInputs, dynos: string[]): FormationOutputs {
  return {
    ...f,
    dynos,
    estimatedMonthlyCost: estimateMonthlyCost(f.processes).totalUsd,
    providerVersion: PROVIDER_VERSION,
  };
}

export const provider = {
  async check(_olds: FormationInputs, news: FormationInputs) {
    const { processes: _rulesSay, ...rest } = FormationInputsSchema.shape;
    const failures = checkInputs(z.object(rest), news as unknown as Record<string, unknown>, `Formation "${news.resource}"`);
    const problems =
      known(news.processes) && typeof news.processes === "object" ? [...formationProblems(news), ...swarmFormationProblems(news)] : [];
    return { inputs: news, failures: [...problems.map((reason) => ({ property: "", reason })), ...failures] };
  },

  async diff(_id: string, olds: FormationOutputs, news: FormationInputs): Promise<pulumi.dynamic.DiffResult> {
    const d = diffFormation(olds, news);
    const engineMoved = olds.engine?.host !== news.engine?.host;
    return { ...d, changes: d.changes || engineMoved, replaces: engineMoved ? [...(d.replaces ?? []), "engine"] : d.replaces };
  },

  async create(inputs: FormationInputs): Promise<pulumi.dynamic.CreateResult> {
    const { dynos } = await converge(inputs);
    return { id: inputs.app, outs: outputs(inputs, dynos) };
  },

  async update(_id: string, _olds: FormationOutputs, news: FormationInputs): Promise<pulumi.dynamic.UpdateResult> {
    const { dynos } = await converge(news);
    return { outs: outputs(news, dynos) };
  },

  /** Refresh reports what the manager holds: a service scaled or removed by hand, dynos not running. */
  async read(id: string, props?: FormationOutputs): Promise<pulumi.dynamic.ReadResult<FormationOutputs>> {
    if (!props) return { id, props };
    const d = clusterDocker(engineOf(props));
    const services = await servicesOf(d, props.app).catch((e) => {
      throw unreachable(`Formation "${props.resource}"`, engineOf(props), e);
    });
    const processes: FormationOutputs["processes"] = {};
    const dynos: string[] = [];
    for (const [type, p] of Object.entries(props.processes)) {
      const s = services.get(type);
      // An Eco service asleep (0 replicas) keeps its quantity: sleeping is no drift.
      processes[type] = { ...p, quantity: s ? formationReplicas(s.info.Spec) : 0 };
      if (s) dynos.push(...liveDynos(type, s.info.Spec, await tasksOf(d, s.info.ID)));
    }
    return { id, props: { ...props, processes, dynos: dynos.sort() } };
  },

  async delete(_id: string, props: FormationOutputs): Promise<void> {
    const d = clusterDocker(engineOf(props));
    const services = await servicesOf(d, props.app);
    await removeServices(
      d,
      [...services.values()].map((s) => s.info.ID),
    );
    if (sleeps(props)) await syncEcoSleeping(props, engineOf(props), props.app);
  },
} satisfies pulumi.dynamic.ResourceProvider<FormationInputs, FormationOutputs>;
