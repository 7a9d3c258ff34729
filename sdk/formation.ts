import * as pulumi from "@pulumi/pulumi";
import { App, appsByName } from "./app";
import { estimateMonthlyCost } from "./cost";
import { lazyProvider } from "./lazy-provider";

/** One process type's share of a formation. */
export interface ProcessFormation {
  /** How many dynos run this process type; 0 keeps the type with none running. */
  quantity: pulumi.Input<number>;
  /** A dyno size from the catalog (`eco`, `basic`, `standard-1x`, `performance-m`, …). Default `standard-1x`. */
  size?: pulumi.Input<string>;
}

/** Arguments of a {@link Formation}. */
export interface FormationArgs {
  /** The app whose dynos this is: the {@link App} itself, or its name (`api.name`). */
  app: App | pulumi.Input<string>;
  /** Process type (a Procfile key, e.g. `web`, `worker`) → quantity and size. */
  processes: Record<string, ProcessFormation>;
  /**
   * Start a new release's web dynos beside the old ones; once they accept connections the router
   * switches to them and the old ones drain and stop (Standard and Performance sizes).
   */
  preboot?: pulumi.Input<boolean>;
  /** Seconds a web dyno has to accept connections on `$PORT` (Heroku: 60). */
  bootTimeoutSeconds?: pulumi.Input<number>;
  /**
   * Eco only: seconds without a request before the app's Eco dynos sleep; the next request wakes
   * them. Heroku's is 1800 (30 minutes); tests use a few seconds. Applies to dynos started after.
   */
  ecoSleepAfterSeconds?: pulumi.Input<number>;
}

/** What the Formation provider receives. */
export interface FormationInputs {
  /** The Pulumi resource name, for messages. */
  resource: string;
  app: string;
  release: string;
  image: string;
  config: Record<string, string>;
  /** The app's secret config vars (kept secret in state). */
  secrets: Record<string, string>;
  processCommands: Record<string, string>;
  network: string;
  webPort: number;
  /** The router that serves the app: the formation points it at the live web dynos. */
  router: string;
  routerHttpPort: number;
  routerHttpsPort: number;
  /** The app's space and whether it is Shield; undefined on the Common Runtime. */
  space?: { name: string; shield: boolean };
  /** The space's network, which every dyno joins too ("" on the Common Runtime). */
  spaceNetwork: string;
  processes: Record<string, { quantity: number; size: string }>;
  preboot: boolean;
  bootTimeoutSeconds: number;
  ecoSleepAfterSeconds: number;
}

export interface FormationOutputs extends FormationInputs {
  /** Names of the running dynos, `web.1`, `web.2`, `worker.1`, … */
  dynos: string[];
  /** Whether the engine's dyno manager ran when last seen (refresh shows `stopped` as drift). */
  dynoManager?: "running" | "stopped";
  /** US dollars per month at Heroku's prices for these sizes (see docs/dyno-sizes.md). */
  estimatedMonthlyCost: number;
}

export const DEFAULT_SIZE = "standard-1x";

/** The dynos of an app: how many of each process type run, and on which size. */
export class Formation extends pulumi.dynamic.Resource {
  public readonly dynos!: pulumi.Output<string[]>;
  /** US dollars per month at Heroku's prices: known at preview, so a pull request shows what a change costs. */
  public readonly estimatedMonthlyCost!: pulumi.Output<number>;
  public readonly release!: pulumi.Output<string>;
  public readonly processes!: pulumi.Output<Record<string, { quantity: number; size: string }>>;

  constructor(resourceName: string, args: FormationArgs, opts?: pulumi.CustomResourceOptions) {
    const app = resolveApp(args.app);
    const processes: Record<string, pulumi.Input<{ quantity: number; size: string }>> = {};
    for (const [type, p] of Object.entries(args.processes)) {
      processes[type] = pulumi.all([p.quantity, p.size ?? DEFAULT_SIZE]).apply(([quantity, size]) => ({ quantity, size }));
    }
    const inputs: Record<keyof FormationOutputs, unknown> = {
      resource: resourceName,
      app: app.apply((a) => a.name),
      release: app.apply((a) => a.release),
      image: app.apply((a) => a.imageId),
      config: app.apply((a) => a.config),
      secrets: pulumi.secret(app.apply((a) => a.secrets)),
      processCommands: app.apply((a) => a.processCommands),
      network: app.apply((a) => a.network),
      webPort: app.apply((a) => a.webPort),
      router: app.apply((a) => a.router),
      routerHttpPort: app.apply((a) => a.routerHttpPort),
      routerHttpsPort: app.apply((a) => a.routerHttpsPort),
      // From the App's own outputs, not the combined ones: they are known at preview.
      space: spaceOf(args.app),
      spaceNetwork: spaceNetworkOf(args.app),
      processes,
      preboot: args.preboot ?? false,
      bootTimeoutSeconds: args.bootTimeoutSeconds ?? 60,
      ecoSleepAfterSeconds: args.ecoSleepAfterSeconds ?? 1800,
      dynos: undefined,
      dynoManager: undefined,
      estimatedMonthlyCost: pulumi.all(Object.values(processes)).apply((ps) => estimateMonthlyCost(Object.fromEntries(Object.keys(processes).map((t, i) => [t, ps[i]]))).totalUsd),
    };
    super(lazyProvider("formations/formation-provider"), resourceName, inputs, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["secrets"] }), "dynoform", "Formation");
  }
}

/**
 * Reads from the App given as itself or by name (an App declared in this program). A missing
 * name fails the program, unless `missing` says what to read instead (resolveApp reports it once).
 */
function fromApp<T>(app: App | pulumi.Input<string>, read: (a: App) => pulumi.Output<T>, missing?: () => pulumi.Output<T>): pulumi.Output<T> {
  if (app instanceof App) return read(app);
  return pulumi.output(app).apply((name): pulumi.Output<T> => {
    const a = appsByName.get(name);
    if (a) return read(a);
    if (missing) return missing();
    throw new pulumi.RunError(`Formation: no App named "${name}" in this program. Fix: pass the App resource itself (app: myApp), or declare the App in the same program`);
  });
}

function resolveApp(app: App | pulumi.Input<string>) {
  return fromApp(app, (a) =>
    pulumi.output({
      name: a.name,
      release: a.release,
      imageId: a.imageId,
      config: a.config,
      secrets: a.secrets,
      processCommands: a.processCommands,
      network: a.network,
      webPort: a.webPort,
      router: a.router,
      routerHttpPort: a.routerHttpPort,
      routerHttpsPort: a.routerHttpsPort,
    }),
  );
}

function spaceOf(app: App | pulumi.Input<string>): pulumi.Output<{ name: string; shield: boolean } | undefined> {
  return fromApp(
    app,
    (a) => pulumi.all([a.spaceName, a.spaceShield]).apply(([name, shield]) => (name ? { name, shield } : undefined)),
    () => pulumi.output(undefined),
  );
}

/** Kept apart from the app's other fields: on the Common Runtime it is absent, which preview treats as unknown. */
function spaceNetworkOf(app: App | pulumi.Input<string>): pulumi.Output<string> {
  return fromApp(app, (a) => a.space.apply((s) => s?.network ?? ""), () => pulumi.output(""));
}
