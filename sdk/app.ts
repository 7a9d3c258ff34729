import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { AppInputsSchema, Versioned } from "./input-schemas";
import { lazyProvider } from "./lazy-provider";
import { programRegistry, resolveGiven, type Given } from "./program-registry";
import { runtimeSettings, WEB_PORT } from "./settings";
import { fromSpace, givenSpace, type Space, type SpacePlacement } from "./space";
import { contextSizeWarning, readGitSource, readSource, type SourceInfo } from "./source";
import type { GitCommit, GitSource } from "./git-source";
import { maintenancePageSpec } from "./maintenance";
import { engineInput, stackEngine } from "./engine";

/** Heroku's generations: Cedar runs x86-64 images, Fir runs ARM64 ones. */
export type Generation = "cedar" | "fir";

/** Arguments of an {@link App}. Give `source` or `image`. */
export interface AppArgs {
  /** The app's name (Heroku's rules: 3–30 of `a-z0-9-`, starting with a letter). Defaults to the resource name. */
  name?: string;
  /**
   * A folder, relative to the Pulumi project: with a Dockerfile, or without one and with a
   * `package.json` (Node.js), `requirements.txt` (Python) or `index.html` (static site), built on
   * the stack image. A Procfile names the process commands and an optional `release:` command.
   *
   * Or a git repository (Heroku's "Deploy from Git"): `{ git: "<path or URL>", ref: "main" }`
   * builds the commit the ref points to when the program runs, so a new commit on the ref is a
   * change `preview` shows, and the release records the commit.
   */
  source?: string | GitSource;
  /** A prebuilt image reference instead of `source`; it runs its own CMD as `web`. */
  image?: string;
  /** Config vars, set in every dyno's environment. A change makes a new release. */
  config?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Config vars whose values stay secret in state, diffs, logs and errors. A change makes a new release. */
  secrets?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * `cedar` (linux/amd64, the default) or `fir` (linux/arm64: built on `arm64v8/debian:bookworm-slim`,
   * run emulated by QEMU on an x86-64 engine that scripts/setup.sh made ready).
   */
  generation?: Generation;
  /**
   * Send plain-HTTP requests for the app's custom domains that have a certificate to HTTPS
   * (301). ACME challenges are still answered on HTTP. Default false.
   */
  httpsRedirect?: boolean;
  /**
   * The Space the app runs in: its dynos join the space's network (reachable by the other apps'
   * dynos as `<n>.<process>.<app>.app.localspace`) and its router serves the app. Default: the
   * Common Runtime. Moving an app between spaces replaces it.
   */
  space?: Space | pulumi.Input<string>;
  /**
   * Maintenance mode (Heroku's `maintenance:on`): the router answers every request with a 503
   * maintenance page (code H80 in its log) while the dynos keep running, so `dynoform run` still
   * works. Turning it off is immediate. `dynoform maintenance on|off` does the same outside the
   * program (drift that `refresh` shows). Default false.
   */
  maintenance?: boolean;
  /** A custom maintenance page at this http(s) URL, shown in a frame as Heroku's `MAINTENANCE_PAGE_URL`. */
  maintenancePageUrl?: string;
  /** A custom maintenance page from this HTML file (relative to the Pulumi project; at most 12,000 bytes). */
  maintenancePage?: string;
}

/** What the App provider receives; plain data so it survives serialization into the state. */
export type AppInputs = z.infer<typeof AppInputsSchema>;

/** Outputs the provider adds to the inputs. */
export interface AppOutputs extends AppInputs, Versioned {
  imageId: string;
  imageTag: string;
  /** `v1`, `v2`, …: each change of image, config or secrets is a new release. */
  release: string;
  releaseNumber: number;
  network: string;
  webUrl: string;
  /** The router's container as the last create, update or refresh saw it; not "running" is drift. */
  routerStatus?: "running" | "stopped" | "missing";
  /**
   * Set by `refresh` when a release made outside the program runs (`dynoform rollback`): that
   * release and its description. The next `up` makes a new release of what the program says.
   */
  liveRelease?: string;
}

/**
 * A Heroku app: source built into an image by the Docker Engine, config vars and secrets,
 * releases, and a route on the router at `http://<name>.<base domain>`.
 */
export class App extends pulumi.dynamic.Resource {
  public readonly name!: pulumi.Output<string>;
  public readonly webUrl!: pulumi.Output<string>;
  /** The current release, `v1`, `v2`, … */
  public readonly release!: pulumi.Output<string>;
  public readonly imageId!: pulumi.Output<string>;
  public readonly config!: pulumi.Output<Record<string, string>>;
  public readonly secrets!: pulumi.Output<Record<string, string>>;
  public readonly processCommands!: pulumi.Output<Record<string, string>>;
  public readonly network!: pulumi.Output<string>;
  public readonly webPort!: pulumi.Output<number>;
  /** The router (container name) that serves the app, and its HTTP port on 127.0.0.1. */
  public readonly router!: pulumi.Output<string>;
  public readonly routerHttpPort!: pulumi.Output<number>;
  public readonly routerHttpsPort!: pulumi.Output<number>;
  /** The space the app runs in (undefined on the Common Runtime). */
  public readonly space!: pulumi.Output<SpacePlacement | undefined>;
  public readonly spaceName!: pulumi.Output<string>;
  public readonly spaceShield!: pulumi.Output<boolean>;
  /** Process types the app declares (Procfile keys; `web` when there is no Procfile). */
  public readonly processTypes: pulumi.Output<string[]>;

  constructor(resourceName: string, args: AppArgs, opts?: pulumi.CustomResourceOptions) {
    const name = args.name ?? resourceName;
    const settings = runtimeSettings();
    const engine = stackEngine();
    const given = args.space === undefined ? undefined : givenSpace(args.space);
    const space = given && fromSpace(given, (s) => s.placement());
    // Plain where the program gives them plainly, so preview can apply the space rules.
    const spaceName = given && (given.declared?.spaceName ?? fromSpace(given, (s) => s.spaceName));
    const spaceShield = given && (given.declared?.isShield ?? fromSpace(given, (s) => s.isShield));
    let source: Omit<SourceInfo, "build" | "context"> & { build: AppInputs["build"]; context?: SourceInfo["context"] } = {
      dir: "",
      hash: "",
      processes: {},
      releaseCommand: "",
      build: "image",
    };
    let git: GitCommit | undefined;
    let sourceError = "";
    if (args.source !== undefined && args.image !== undefined)
      sourceError = "give either `source` or `image`, not both. Fix: remove one of them";
    else if (args.source !== undefined) {
      try {
        if (typeof args.source === "string") source = readSource(args.source);
        else ({ git, ...source } = readGitSource(args.source));
      } catch (e) {
        sourceError = (e as Error).message;
      }
    } else if (args.image === undefined)
      sourceError = "neither `source` nor `image` is set. Fix: set `source` to a folder with a Dockerfile, or `image` to a prebuilt image";
    let maintenancePage = "";
    if (args.maintenancePage !== undefined && args.maintenancePageUrl !== undefined)
      maintenancePage = "give either `maintenancePage` or `maintenancePageUrl`, not both. Fix: remove one of them";
    else if (args.maintenancePage !== undefined) {
      try {
        maintenancePage = maintenancePageSpec({ html: fs.readFileSync(args.maintenancePage, "utf8") });
      } catch (e) {
        maintenancePage = `could not read the maintenance page file "${args.maintenancePage}" (${(e as Error).message}). Fix: give a path relative to the Pulumi project`;
      }
    } else maintenancePage = maintenancePageSpec({ url: args.maintenancePageUrl });
    const inputs: Record<Exclude<keyof AppOutputs, "git">, unknown> & { git?: GitCommit } = {
      name,
      sourceDir: source.dir,
      sourceHash: args.image ?? source.hash,
      build: args.image !== undefined ? "image" : source.build,
      imageRef: args.image ?? "",
      sourceError,
      // Only for a git source: an undefined value cannot go into Pulumi's state.
      ...(git ? { git } : {}),
      processCommands: source.processes,
      releaseCommand: source.releaseCommand,
      config: args.config ?? {},
      secrets: pulumi.secret(args.secrets ?? {}),
      generation: args.generation ?? "cedar",
      hostnames: [`${name}.${settings.baseDomain}`],
      webPort: WEB_PORT,
      router: space ? space.router : settings.router,
      routerHttpPort: space ? space.httpPort : settings.routerHttpPort,
      routerHttpsPort: space ? space.httpsPort : settings.routerHttpsPort,
      space,
      spaceName: spaceName ?? "",
      spaceShield: spaceShield ?? false,
      httpsRedirect: args.httpsRedirect ?? false,
      maintenance: args.maintenance ?? false,
      maintenancePage,
      engine: engineInput(engine),
      imageId: undefined,
      imageTag: undefined,
      release: undefined,
      releaseNumber: undefined,
      network: undefined,
      webUrl: undefined,
      routerStatus: undefined,
      liveRelease: undefined,
      providerVersion: undefined,
    };
    const secretOutputs = { additionalSecretOutputs: ["secrets"] };
    super(
      lazyProvider<AppInputs, AppOutputs>(engine ? "engine/swarm-app-provider" : "apps/app-provider"),
      resourceName,
      inputs,
      pulumi.mergeOptions(opts, secretOutputs),
      "dynoform",
      "App",
    );
    this.processTypes = this.processCommands.apply((c) => (Object.keys(c ?? {}).length ? Object.keys(c) : ["web"]));
    programRegistry<App>("apps").set(name, this);
    const large =
      source.context &&
      contextSizeWarning(
        `App "${name}"`,
        typeof args.source === "string" ? args.source : `${git?.repository} at ${git?.ref}`,
        source.context,
      );
    if (large) pulumi.log.warn(large, this);
  }
}

/** The App given as itself or by name (`api.name`, or an app of this program or another stack). */
export function givenApp(app: App | pulumi.Input<string>): Given<App> {
  return resolveGiven(app, (x): x is App => x instanceof App, "apps");
}
