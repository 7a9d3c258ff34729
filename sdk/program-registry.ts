import * as pulumi from "@pulumi/pulumi";

/**
 * Resources declared in the program being run, by name, so one can be given to another by name
 * (`app: "api"`, `space: "payments"`, `domain: "api.example.com"`).
 *
 * Scoped per program run: an Automation API process runs many programs, each inside a fresh
 * Pulumi store, and may switch project or stack; a registry filled by one run must never answer
 * another. So registries hang off the run's store (weakly) and are keyed by project and stack.
 */
export type RegistryKind = "apps" | "spaces" | "domains" | "domainClaims";

interface PulumiGlobals {
  asyncLocalStorage?: { getStore(): object | undefined };
  globalStore?: object;
}

/** Used before Pulumi has made a store of its own (a plain import in a test). */
const noStore = {};
const byStore = new WeakMap<object, Map<string, Map<string, unknown>>>();

function currentStore(): object {
  const g = globalThis as unknown as PulumiGlobals;
  return g.asyncLocalStorage?.getStore() ?? g.globalStore ?? noStore;
}

/** The registry of `kind` for the program run in progress. */
export function programRegistry<T>(kind: RegistryKind): Map<string, T> {
  const store = currentStore();
  let runs = byStore.get(store);
  if (!runs) byStore.set(store, (runs = new Map()));
  const key = `${pulumi.getProject()}/${pulumi.getStack()}/${kind}`;
  let registry = runs.get(key);
  if (!registry) runs.set(key, (registry = new Map()));
  return registry as Map<string, T>;
}

/** A resource given as itself or by name (see {@link resolveGiven}). */
export interface Given<R> {
  /** The resource when it is known now: given as itself, or by a plain name this program declares. */
  declared?: R;
  /** The name, when the resource was given by one. */
  name?: pulumi.Input<string>;
  kind: RegistryKind;
  normalize: (name: string) => string;
}

/**
 * The one resolver of "resource given by object or name"; `normalize` maps a name to the
 * registry's key (hostnames are case-insensitive). A name is looked up when it is known, by
 * which time the program has declared the resources it declares before.
 */
export function resolveGiven<R>(
  given: R | pulumi.Input<string>,
  isResource: (x: unknown) => x is R,
  kind: RegistryKind,
  normalize: (name: string) => string = (n) => n,
): Given<R> {
  if (isResource(given)) return { declared: given, kind, normalize };
  const name = given as pulumi.Input<string>;
  const declared = typeof name === "string" ? programRegistry<R>(kind).get(normalize(name)) : undefined;
  return { declared, name, kind, normalize };
}

/**
 * Reads a field of a resource given as itself or by name; `missing` answers for a name this
 * program does not declare (fail, or assume another stack's resource).
 */
export function readGiven<R, T>(
  given: Given<R>,
  read: (r: R) => pulumi.Input<T>,
  missing: (name: string) => pulumi.Input<T>,
): pulumi.Output<T> {
  if (given.declared) return pulumi.output(read(given.declared)) as pulumi.Output<T>;
  // The registry is read inside the apply, but chosen now: the apply may run after the run's store is gone.
  const registry = programRegistry<R>(given.kind);
  return pulumi.output(given.name!).apply((name) => {
    const r = registry.get(given.normalize(String(name)));
    return pulumi.output(r ? read(r) : missing(String(name)));
  }) as pulumi.Output<T>;
}
