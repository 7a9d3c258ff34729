import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { type App, givenApp } from "./app";
import { estimateMonthlyCost } from "./cost";
import type { AlertThresholds, FormationInputsSchema, ProcessSpec, Versioned } from "./input-schemas";
import { lazyProvider } from "./lazy-provider";
import { engineInput, stackEngine } from "./engine";
import { readGiven, type Given } from "./program-registry";
import { HEROKU, runtimeSettings } from "./settings";

/** One process type's share of a formation, as a program gives it. */
export interface ProcessFormation {
  /**
   * How many dynos run this process type; 0 keeps the type with none running. With autoscaling,
   * the quantity of the first `up` only (pulled into the range): after that the dyno manager owns it.
   */
  quantity: pulumi.Input<number>;
  /** A dyno size from the catalog (`eco`, `basic`, `standard-1x`, `performance-m`, …). Default `standard-1x`. */
  size?: pulumi.Input<string>;
  /**
   * Web only, on Performance, Private and Shield sizes: the dyno manager moves the quantity
   * between `min` and `max` to hold the p95 response time, as Heroku's autoscaling does (one
   * dyno per event, at least a minute apart, down more slowly than up). `preview` and `up` leave
   * the quantity it chose alone; a changed range applies at the next `up`.
   */
  autoscaling?: pulumi.Input<AutoscalingArgs>;
}

/** Heroku's web autoscaling settings. */
export interface AutoscalingArgs {
  /** Fewest web dynos (at least 1). */
  min: number;
  /** Most web dynos (at most the size's limit per process type, 10 for Performance). */
  max: number;
  /** The desired p95 response time in ms, WebSockets left out (default 1000). */
  p95ResponseTimeMs?: number;
}

/** One process type's threshold alerts (Standard, Performance, Private and Shield sizes; web only). */
export interface ProcessAlerts {
  /** Alert when the p95 response time (ms) is above this in every minute of the window. */
  p95ResponseTimeMs?: number;
  /** Alert when more than this percentage of requests fail (5xx, router errors included) in every minute of the window. */
  failedRequestPercent?: number;
  /** Heroku's sensitivity: 1, 5 (default) or 10 minutes over the threshold before the alert fires, and under it before it resolves. */
  windowMinutes?: 1 | 5 | 10;
}

/** Threshold alerts: each fires once when crossed for its window, and resolves once when back under. */
export interface FormationAlerts {
  /** Process type (`web`) → thresholds. */
  processes: Record<string, ProcessAlerts>;
  /**
   * Where alerts are POSTed as JSON (app, process type, metric, value, threshold, window, a link
   * to the metrics page), retried with back-off when it fails. Kept secret: it often holds a
   * token. Without it alerts are only lines in `dynoform logs`.
   */
  webhookUrl?: pulumi.Input<string>;
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
  /** Threshold alerts on response time and failed requests (not on Eco or Basic). */
  alerts?: FormationAlerts;
}

/** What the Formation provider receives. */
export type FormationInputs = z.infer<typeof FormationInputsSchema>;

export interface FormationOutputs extends FormationInputs, Versioned {
  /** Names of the running dynos, `web.1`, `web.2`, `worker.1`, … */
  dynos: string[];
  /** Whether the engine's dyno manager ran when last seen (refresh shows `stopped` as drift). */
  dynoManager?: "running" | "stopped";
  /** US dollars per month at Heroku's prices for these sizes (see docs/dyno-sizes.md). */
  estimatedMonthlyCost: number;
}

export const DEFAULT_SIZE = HEROKU.defaultSize;

/** The dynos of an app: how many of each process type run, and on which size. */
export class Formation extends pulumi.dynamic.Resource {
  public readonly dynos!: pulumi.Output<string[]>;
  /** US dollars per month at Heroku's prices: known at preview, so a pull request shows what a change costs. */
  public readonly estimatedMonthlyCost!: pulumi.Output<number>;
  public readonly release!: pulumi.Output<string>;
  public readonly processes!: pulumi.Output<Record<string, ProcessSpec>>;

  constructor(resourceName: string, args: FormationArgs, opts?: pulumi.CustomResourceOptions) {
    const app = givenApp(args.app);
    const engine = stackEngine();
    // Each field is read from the App on its own: one object of them all would be secret as a
    // whole (it holds the secrets) and unknown as a whole while the App updates, which shows
    // every field as [secret] and the app's name as changed (a replace) at preview.
    // A name this program does not declare fails the program once, through the `app` field.
    const field = <T>(read: (a: App) => pulumi.Input<T>) => fromApp(app, read, () => undefined as T);
    const processes: Record<string, pulumi.Input<ProcessSpec>> = {};
    for (const [type, p] of Object.entries(args.processes)) {
      processes[type] = pulumi
        .all([p.quantity, p.size ?? DEFAULT_SIZE, p.autoscaling])
        .apply(([quantity, size, autoscaling]) => (autoscaling ? { quantity, size, autoscaling } : { quantity, size }));
    }
    const inputs: Record<keyof FormationOutputs, unknown> = {
      resource: resourceName,
      app: fromApp(app, (a) => a.name),
      release: field((a) => a.release),
      image: field((a) => a.imageId),
      config: field((a) => a.config),
      secrets: pulumi.secret(field((a) => a.secrets)),
      processCommands: field((a) => a.processCommands),
      network: field((a) => a.network),
      webPort: field((a) => a.webPort),
      router: field((a) => a.router),
      routerHttpPort: field((a) => a.routerHttpPort),
      routerHttpsPort: field((a) => a.routerHttpsPort),
      // From the App's own outputs, not the combined ones: they are known at preview.
      space: fromApp(
        app,
        (a) => pulumi.all([a.spaceName, a.spaceShield]).apply(([name, shield]) => (name ? { name, shield } : undefined)),
        () => undefined,
      ),
      // Kept apart from the app's other fields: on the Common Runtime it is absent, which preview treats as unknown.
      spaceNetwork: fromApp(
        app,
        (a) => a.space.apply((s) => s?.network ?? ""),
        () => "",
      ),
      processes,
      preboot: args.preboot ?? false,
      bootTimeoutSeconds: args.bootTimeoutSeconds ?? HEROKU.bootTimeoutSeconds,
      ecoSleepAfterSeconds: args.ecoSleepAfterSeconds ?? HEROKU.ecoSleepAfterSeconds,
      alerts: (args.alerts?.processes ?? {}) as Record<string, AlertThresholds>,
      // Secret whatever the program gave: webhook URLs often hold a token.
      alertWebhookUrl: args.alerts?.webhookUrl === undefined ? "" : pulumi.secret(args.alerts.webhookUrl),
      dashboardUrl: runtimeSettings().dashboardUrl,
      engine: engineInput(engine),
      dynos: undefined,
      dynoManager: undefined,
      estimatedMonthlyCost: pulumi
        .all(Object.values(processes))
        .apply((ps) => estimateMonthlyCost(Object.fromEntries(Object.keys(processes).map((t, i) => [t, ps[i]]))).totalUsd),
      providerVersion: undefined,
    };
    super(
      lazyProvider<FormationInputs, FormationOutputs>(engine ? "engine/swarm-formation-provider" : "formations/formation-provider"),
      resourceName,
      inputs,
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["secrets", "alertWebhookUrl"] }),
      "dynoform",
      "Formation",
    );
  }
}

/**
 * Reads from the App given as itself or by name (an App declared in this program). A missing
 * name fails the program, unless `missing` says what to read instead.
 */
function fromApp<T>(app: Given<App>, read: (a: App) => pulumi.Input<T>, missing?: () => pulumi.Input<T>): pulumi.Output<T> {
  return readGiven(app, read, (name) => {
    if (missing) return missing();
    throw new pulumi.RunError(
      `Formation: no App named "${name}" in this program. Fix: pass the App resource itself (app: myApp), or declare the App in the same program`,
    );
  });
}
