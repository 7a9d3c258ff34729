import type * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { FormationInputs, FormationOutputs } from "../../sdk/formation";
import { estimateMonthlyCost } from "../../sdk/cost";
import { checkInputs, FormationInputsSchema, known } from "../../sdk/input-schemas";
import { PROVIDER_VERSION } from "../../sdk/lazy-provider";
import { getDynoSize } from "../../sdk/dyno-sizes";
import { formatViolations, validateFormation } from "../../sdk/tier-rules";
import { BootError, waitForPort, waitStillRunning } from "./boot-check";
import {
  dynoManagerRunning,
  ensureDynoManager,
  removeDynoManagerIfIdle,
  writeAlertConfig,
  writeAutoscalePolicy,
} from "./dyno-manager-controller";
import type Docker from "dockerode";
import { containerName, observeDynos, renameDyno, startDyno, stopDyno, type DynoSpec } from "./dyno-driver";
import {
  dynoName,
  observedQuantities,
  planFormation,
  planPreboot,
  processesChanged,
  quantityToRun,
  runningQuantity,
  type FormationAction,
  type PrebootPlan,
} from "./formation-plan";
import { HEROKU } from "../../sdk/settings";
import { dynoAddress, syncRouter, waitForRouterDrain } from "../router/router-controller";
import { dynoDnsName, formationDnsName, spaceDnsEnv } from "../spaces/space-network";

/** Problems with a formation's inputs, each naming the resource, the process type and the fix. */
export function formationProblems(news: FormationInputs): string[] {
  // At preview a new space's outputs may be unknown (not an object): its rules are checked at up.
  const space =
    typeof news.space === "object" && news.space && typeof news.space.name === "string"
      ? { name: news.space.name, shield: news.space.shield === true }
      : undefined;
  const problems = validateFormation({
    resource: news.resource,
    app: news.app,
    processes: news.processes,
    preboot: news.preboot === true,
    space,
    alerts: typeof news.alerts === "object" && news.alerts ? news.alerts : undefined,
  }).map((v) => formatViolations([v]));
  // At preview the app's outputs are unknown (a placeholder string, not an object): checked again at up.
  const commands = typeof news.processCommands === "object" && news.processCommands ? news.processCommands : {};
  if (Object.keys(commands).length > 0) {
    for (const type of Object.keys(news.processes)) {
      if (!(type in commands)) {
        problems.push(
          `Formation "${news.resource}", process type "${type}": the app's Procfile has no such process type (it has ${Object.keys(commands).join(", ")}). Fix: add "${type}: <command>" to the Procfile, or remove it from the formation`,
        );
      }
    }
  }
  return problems;
}

function dynoSpec(f: FormationInputs, processType: string, index: number, size: string): DynoSpec {
  const catalog = getDynoSize(size);
  if (!catalog) throw new Error(`Formation "${f.resource}": unknown dyno size "${size}"`);
  const aliases = [`${dynoName(processType, index)}.${f.app}.dyno`, `${processType}.${f.app}.dyno`];
  if (processType === "web") aliases.push(dynoAddress(f.app, dynoName(processType, index), f.release));
  return {
    app: f.app,
    processType,
    index,
    release: f.release,
    size,
    image: f.image,
    command: f.processCommands?.[processType],
    env: { ...(f.config ?? {}), ...(f.secrets ?? {}) },
    network: f.network,
    aliases: [...new Set(aliases)],
    webPort: f.webPort,
    limits: catalog.docker,
    sleepAfterSeconds: catalog.features.sleeps ? f.ecoSleepAfterSeconds : undefined,
    preboot: processType === "web" && f.preboot === true,
    space: f.space
      ? {
          ...f.space,
          network: f.spaceNetwork,
          aliases: [dynoDnsName(f.app, processType, index), formationDnsName(f.app, processType)],
          env: spaceDnsEnv(f.app, processType, index),
        }
      : undefined,
  };
}

type Started = { name: string; type: string; index: number; container: Docker.Container };
type StartAction = Extract<FormationAction, { kind: "start" }>;

const startsIn = (actions: FormationAction[]) => actions.filter((a): a is StartAction => a.kind === "start");

/** Carries out a plan's stops, all at once (each is SIGTERM, up to 30 s, SIGKILL). */
async function stopAll(actions: FormationAction[]): Promise<void> {
  await Promise.all(actions.flatMap((a) => (a.kind === "stop" ? [stopDyno(a.dyno.id)] : [])));
}

/** Waits until one started dyno has booted: a web dyno accepts connections, another still runs. */
function waitBooted(f: FormationInputs, d: Started): Promise<void> {
  return d.type === "web"
    ? waitForPort(d.container, f.network, f.webPort, d.name, f.bootTimeoutSeconds)
    : waitStillRunning(d.container, d.name);
}

/**
 * Starts the dynos, each one's boot check right after its own start: with 30 dynos the first
 * have booted before dockerd has started the last. Resolves when every start and check has
 * ended (none left running behind an early error): `started` holds every dyno that started,
 * `failure` names every dyno that did not boot, or is the first Docker error.
 */
async function startBooted(
  f: FormationInputs,
  starts: Array<{ processType: string; index: number; size: string }>,
  nameSuffix = "",
): Promise<{ started: Started[]; failure?: Error }> {
  const started: Started[] = [];
  const bootFailures: string[] = [];
  const results = await Promise.allSettled(
    starts.map(async (a) => {
      const d: Started = {
        name: dynoName(a.processType, a.index),
        type: a.processType,
        index: a.index,
        container: await startDyno(dynoSpec(f, a.processType, a.index, a.size), containerName(f.app, a.processType, a.index) + nameSuffix),
      };
      started.push(d);
      await waitBooted(f, d).catch((e) => {
        if (!(e instanceof BootError)) throw e;
        bootFailures.push(e.message);
      });
    }),
  );
  const dockerError = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (dockerError) return { started, failure: dockerError.reason };
  if (bootFailures.length === 0) return { started };
  return {
    started,
    failure: new Error(
      `Formation "${f.resource}" (app "${f.app}", release ${f.release}): ${bootFailures.length} dyno(s) failed to boot.\n${bootFailures.join("\n\n")}`,
    ),
  };
}

const routerOf = (f: FormationInputs) => ({ name: f.router, httpPort: f.routerHttpPort, httpsPort: f.routerHttpsPort });

/**
 * Preboot: the new release's web dynos start beside the old ones as `<app>.web.<n>.next`; when
 * all accept connections they take the plain names, the router switches to them with a hitless
 * reload, the old router workers finish their requests, and only then do the old dynos stop.
 * If a new dyno fails to boot, the new ones are removed and the old release keeps serving.
 */
async function prebootWeb(f: FormationInputs, plan: PrebootPlan): Promise<void> {
  const { started, failure } = await startBooted(
    f,
    plan.starts.map((s) => ({ processType: "web", ...s })),
    ".next",
  );
  if (failure) {
    await Promise.all(started.map((d) => stopDyno(d.container.id)));
    throw new Error(
      `${failure.message}\nPreboot: the new web dynos were removed; release ${plan.retire[0]?.release ?? "before"} keeps serving.`,
    );
  }
  for (const old of plan.retire) await renameDyno(old.id, `${old.name ?? containerName(f.app, "web", old.index)}.prev`);
  for (const d of started) await renameDyno(d.container.id, containerName(f.app, "web", d.index));
  const draining = await syncRouter(routerOf(f));
  await waitForRouterDrain(routerOf(f), draining);
  await Promise.all(plan.retire.map((d) => stopDyno(d.id)));
}

/**
 * Makes Docker match the formation. Without preboot, old dynos stop before new ones start (as on
 * Heroku); with preboot and a new release, web dynos are swapped without a gap. Then the router
 * is pointed at the live web dynos.
 */
async function converge(
  f: FormationInputs,
  olds?: FormationOutputs,
): Promise<{ dynos: string[]; processes: FormationInputs["processes"] }> {
  await ensureDynoManager();
  const autoscaled = autoscalePolicyOf(f);
  // The autoscaler holds still while `up` changes the dynos (it goes on from what `up` leaves).
  if (autoscaled) await writeAutoscalePolicy(f.app, { ...autoscaled, pausedUntilMs: Date.now() + 10 * 60_000 });
  try {
    return await convergeDynos(f);
  } finally {
    // Without autoscaling before or now there is no policy to take back: the manager was never
    // given one, so the exec that removes it is skipped (a create still removes a stray one).
    if (autoscaled || !olds || autoscalePolicyOf(olds)) await writeAutoscalePolicy(f.app, autoscaled);
  }
}

/** What the dyno manager's autoscaler gets for this formation (none: autoscaling is off). */
function autoscalePolicyOf(f: Pick<FormationInputs, "processes">) {
  const a = f.processes.web?.autoscaling;
  return a ? { processType: "web", min: a.min, max: a.max, p95TargetMs: a.p95ResponseTimeMs ?? HEROKU.autoscaleP95TargetMs } : undefined;
}

async function convergeDynos(f: FormationInputs): Promise<{ dynos: string[]; processes: FormationInputs["processes"] }> {
  // Alerts apply at once, without touching a dyno (the manager reads them on its next round):
  // written while the dynos start rather than after them.
  const alerts = writeAlertConfig({
    app: f.app,
    alerts: f.alerts ?? {},
    webhookUrl: f.alertWebhookUrl ?? "",
    dashboardUrl: f.dashboardUrl ?? "",
  });
  alerts.catch(() => undefined); // awaited below; a dyno failure thrown first must not leave it unhandled
  // Leftovers of an interrupted preboot: the plainly named dynos are the ones that serve.
  const all = await observeDynos(f.app);
  const serving = (d: (typeof all)[number]) => d.name === containerName(f.app, d.processType, d.index);
  await Promise.all(all.filter((d) => !serving(d)).map((d) => stopDyno(d.id)));
  const observed = all.filter(serving);
  // An autoscaled quantity is the one running (the autoscaler's), in the program's range.
  const processes = Object.fromEntries(
    Object.entries(f.processes).map(([type, p]) => [type, { ...p, quantity: quantityToRun(p, runningQuantity(observed, type)) }]),
  );
  const desired = { release: f.release, processes };
  const preboot = planPreboot(desired, observed, f.preboot === true);
  if (preboot) {
    await prebootWeb(f, preboot);
    await stopAll(preboot.others);
    const others = await startBooted(f, startsIn(preboot.others));
    if (others.failure) throw others.failure;
  } else {
    const actions = planFormation(desired, observed);
    await stopAll(actions);
    const { failure } = await startBooted(f, startsIn(actions));
    // The router routes to the dynos that booted, also when some did not.
    await syncRouter(routerOf(f));
    if (failure) throw failure;
  }
  await alerts;
  const now = await observeDynos(f.app);
  return {
    dynos: now
      .filter((d) => d.running)
      .map((d) => dynoName(d.processType, d.index))
      .sort(),
    processes,
  };
}

export const provider = {
  async check(_olds: FormationInputs, news: FormationInputs) {
    // The tier rules speak for processes (names, quantities, sizes, together); the schema for the rest.
    // Unknown values (preview before the app exists) are checked again at `up`.
    const { processes: _rulesSay, ...rest } = FormationInputsSchema.shape;
    const failures = checkInputs(z.object(rest), news as unknown as Record<string, unknown>, `Formation "${news.resource}"`);
    const problems = known(news.processes) && typeof news.processes === "object" ? formationProblems(news) : [];
    return { inputs: news, failures: [...problems.map((reason) => ({ property: "", reason })), ...failures] };
  },

  async diff(_id: string, olds: FormationOutputs, news: FormationInputs): Promise<pulumi.dynamic.DiffResult> {
    // A dyno manager that is down (`docker kill` keeps it down for good) is a change the next
    // `up` makes: the update brings it back, even when nothing else changed.
    const managerDown = olds.dynoManager === "stopped" || !(await dynoManagerRunning().catch(() => true));
    const d = diffFormation(olds, news);
    return { ...d, changes: d.changes || managerDown };
  },

  async create(inputs: FormationInputs): Promise<pulumi.dynamic.CreateResult> {
    const { dynos, processes } = await converge(inputs);
    return {
      id: inputs.app,
      outs: {
        ...inputs,
        processes,
        dynos,
        dynoManager: "running",
        estimatedMonthlyCost: estimateMonthlyCost(inputs.processes).totalUsd,
        providerVersion: PROVIDER_VERSION,
      } satisfies FormationOutputs,
    };
  },

  async update(_id: string, olds: FormationOutputs, news: FormationInputs): Promise<pulumi.dynamic.UpdateResult> {
    const { dynos, processes } = await converge(news, olds);
    return {
      outs: {
        ...news,
        processes,
        dynos,
        dynoManager: "running",
        estimatedMonthlyCost: estimateMonthlyCost(news.processes).totalUsd,
        providerVersion: PROVIDER_VERSION,
      } satisfies FormationOutputs,
    };
  },

  /**
   * Refresh reports what exists: a dyno removed by hand lowers its type's quantity (a crashed one
   * stays in the formation: the dyno manager restarts it), and a stopped dyno manager is drift.
   */
  async read(id: string, props?: FormationOutputs): Promise<pulumi.dynamic.ReadResult<FormationOutputs>> {
    if (!props) return { id, props };
    const observed = await observeDynos(props.app);
    // Refresh shows a stopped dyno manager as drift (`dynoManager: "stopped"`), and brings it back.
    const dynoManager = (await dynoManagerRunning()) ? "running" : "stopped";
    if (dynoManager === "stopped") await ensureDynoManager();
    const existing = observedQuantities(observed, props.release);
    const processes: FormationOutputs["processes"] = {};
    for (const [type, p] of Object.entries(props.processes)) processes[type] = { ...p, quantity: existing[type] ?? 0 };
    const dynos = observed
      .filter((d) => d.running)
      .map((d) => dynoName(d.processType, d.index))
      .sort();
    return { id, props: { ...props, processes, dynos, dynoManager } };
  },

  async delete(_id: string, props: FormationOutputs): Promise<void> {
    const observed = await observeDynos(props.app);
    // The autoscaler lets go first, so it adds no dyno while these stop.
    await writeAutoscalePolicy(props.app, undefined);
    await Promise.all(observed.map((d) => stopDyno(d.id)));
    // A manager that is not running has no alerts to forget; its volume goes with it below.
    await writeAlertConfig({ app: props.app, alerts: {}, webhookUrl: "", dashboardUrl: "" }).catch(() => undefined);
    if (props.router) await syncRouter(routerOf(props));
    await removeDynoManagerIfIdle();
  },
} satisfies pulumi.dynamic.ResourceProvider<FormationInputs, FormationOutputs>;

/** What the program changed, from the state and the new inputs alone. */
export function diffFormation(olds: FormationOutputs, news: FormationInputs): pulumi.dynamic.DiffResult {
  // An app's name unknown at preview is not a change of app (it is the same App updating).
  const replaces = known(news.app) && olds.app !== news.app ? ["app"] : [];
  const changes: string[] = (["app", "release", "image", "preboot", "config", "secrets", "processCommands"] as const).filter(
    (k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
  );
  // An autoscaled web quantity within its range is the dyno manager's, not drift (processesChanged).
  if (!known(news.processes) || processesChanged(olds.processes, news.processes)) changes.push("processes");
  // States written before alerts existed have none: no alerts is the same as `{}`.
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(olds.alerts ?? {}, news.alerts ?? {})) changes.push("alerts");
  if ((olds.alertWebhookUrl ?? "") !== (news.alertWebhookUrl ?? "")) changes.push("alertWebhookUrl");
  // The dashboard's address matters only to alerts' links.
  if (Object.keys(news.alerts ?? {}).length > 0 && (olds.dashboardUrl ?? "") !== (news.dashboardUrl ?? "")) changes.push("dashboardUrl");
  return { changes: replaces.length + changes.length > 0, replaces, deleteBeforeReplace: true };
}
