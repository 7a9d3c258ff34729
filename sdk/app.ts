import * as pulumi from "@pulumi/pulumi";
import { lazyProvider, providerModule } from "./lazy-provider";
import { runtimeSettings, WEB_PORT } from "./settings";
import { readSource } from "./source";

/** Arguments of an {@link App}. */
export interface AppArgs {
  /** The app's name (Heroku's rules: 3–30 of `a-z0-9-`, starting with a letter). Defaults to the resource name. */
  name?: string;
  /** A folder with a Dockerfile (and optionally a Procfile naming the process commands), relative to the Pulumi project. */
  source: string;
  /** Config vars, set in every dyno's environment. A change makes a new release. */
  config?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** What the App provider receives; plain data so it survives serialization into the state. */
export interface AppInputs {
  name: string;
  sourceDir: string;
  sourceHash: string;
  /** Set when the source folder could not be read; `check` turns it into a preview failure. */
  sourceError: string;
  /** Process type → command from the Procfile. */
  processCommands: Record<string, string>;
  config: Record<string, string>;
  hostnames: string[];
  webPort: number;
  router: string;
  routerHttpPort: number;
}

/** Outputs the provider adds to the inputs. */
export interface AppOutputs extends AppInputs {
  imageId: string;
  imageTag: string;
  /** `v1`, `v2`, …: each change of image or config is a new release. */
  release: string;
  releaseNumber: number;
  network: string;
  webUrl: string;
}

/** Apps built in this program, by name, so a Formation can be given `app: api.name`. */
export const appsByName = new Map<string, App>();

/**
 * A Heroku app: source built into an image by the Docker Engine, config vars, releases, and a
 * route on the router at `http://<name>.<base domain>`.
 */
export class App extends pulumi.dynamic.Resource {
  public readonly name!: pulumi.Output<string>;
  public readonly webUrl!: pulumi.Output<string>;
  public readonly release!: pulumi.Output<string>;
  public readonly imageId!: pulumi.Output<string>;
  public readonly config!: pulumi.Output<Record<string, string>>;
  public readonly processCommands!: pulumi.Output<Record<string, string>>;
  public readonly network!: pulumi.Output<string>;
  public readonly webPort!: pulumi.Output<number>;
  /** Process types the app declares (Procfile keys; `web` when there is no Procfile). */
  public readonly processTypes: pulumi.Output<string[]>;

  constructor(resourceName: string, args: AppArgs, opts?: pulumi.CustomResourceOptions) {
    const name = args.name ?? resourceName;
    const settings = runtimeSettings();
    let source = { dir: "", hash: "", processes: {} as Record<string, string> };
    let sourceError = "";
    try {
      source = readSource(args.source);
    } catch (e) {
      sourceError = (e as Error).message;
    }
    const inputs: Record<keyof AppOutputs, unknown> = {
      name,
      sourceDir: source.dir,
      sourceHash: source.hash,
      sourceError,
      processCommands: source.processes,
      config: args.config ?? {},
      hostnames: [`${name}.${settings.baseDomain}`],
      webPort: WEB_PORT,
      router: settings.router,
      routerHttpPort: settings.routerHttpPort,
      imageId: undefined,
      imageTag: undefined,
      release: undefined,
      releaseNumber: undefined,
      network: undefined,
      webUrl: undefined,
    };
    super(lazyProvider(providerModule("app-provider")), resourceName, inputs, opts, "dynoform", "App");
    this.processTypes = this.processCommands.apply((c) => (Object.keys(c ?? {}).length ? Object.keys(c) : ["web"]));
    appsByName.set(name, this);
  }
}
