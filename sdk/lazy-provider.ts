import type * as pulumi from "@pulumi/pulumi";

/** Dynoform's version, recorded in every resource's outputs as `providerVersion`. */
export const PROVIDER_VERSION: string = packageVersion();

function packageVersion(): string {
  // `dist/sdk/` in a package, `sdk/` when the sources run directly (tests).
  for (const p of ["../../package.json", "../package.json"]) {
    try {
      const pkg = require(p);
      if (pkg.name === "dynoform") return pkg.version;
    } catch {
      // try the next place
    }
  }
  return "0.0.0";
}

/**
 * A dynamic provider whose methods load the real implementation when the engine calls them.
 *
 * Pulumi serializes a dynamic provider's functions into the state and runs that copy for `read`
 * and `delete`, wherever and whenever they happen. So the closure captures a package specifier
 * (`dynoform/provider/apps/app-provider`), which Node resolves from the program's folder on any
 * machine or checkout; the absolute path seen when the program ran is only a fallback for a
 * program whose folder cannot resolve `dynoform` (a link outside node_modules, for example).
 */
export function lazyProvider<Inputs, Outputs>(module: ProviderModule): pulumi.dynamic.ResourceProvider<Inputs, Outputs> {
  const specifier = `dynoform/provider/${module}`;
  const fallback = localPath(module);
  // Only `specifier` and `fallback` are captured; everything else happens when a method runs.
  const load = (): pulumi.dynamic.ResourceProvider<Inputs, Outputs> => {
    const errors: string[] = [];
    for (const candidate of [specifier, fallback]) {
      try {
        return require(candidate).provider;
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code !== "MODULE_NOT_FOUND" || !String(err.message).includes(candidate)) throw e;
        errors.push(candidate);
      }
    }
    throw new Error(
      `Dynoform's provider code could not be loaded (tried ${errors.join(" and ")} from ${process.cwd()}). ` +
        "Fix: run `npm install` in the Pulumi program's folder so that `dynoform` is in its node_modules, then run the command again.",
    );
  };
  return {
    check: async (olds, news) => load().check!(olds, news),
    diff: async (id, olds, news) => load().diff!(id, olds, news),
    create: async (inputs) => load().create(inputs),
    read: async (id, props) => load().read!(id, props),
    update: async (id, olds, news) => load().update!(id, olds, news),
    delete: async (id, props) => load().delete!(id, props),
  };
}

/** The provider modules, one per resource, under `provider/` (package subpath `dynoform/provider/…`). */
export type ProviderModule =
  | "apps/app-provider"
  | "formations/formation-provider"
  | "spaces/space-provider"
  | "tls/domain-provider"
  | "tls/certificate-provider"
  | "drains/log-drain-provider"
  | "engine/swarm-app-provider"
  | "engine/swarm-formation-provider"
  | "engine/swarm-space-provider";

function localPath(module: ProviderModule): string {
  try {
    return require.resolve(`../provider/${module}`);
  } catch {
    return `../provider/${module}`;
  }
}
