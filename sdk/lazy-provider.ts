import * as pulumi from "@pulumi/pulumi";

/**
 * A dynamic provider whose methods load the real implementation from `modulePath` when the
 * engine calls them. Pulumi serializes a dynamic provider's functions into the state; capturing
 * only a path keeps that small and keeps Docker code out of the program's process.
 */
export function lazyProvider(modulePath: string): pulumi.dynamic.ResourceProvider {
  return {
    async check(olds: any, news: any) {
      return require(modulePath).provider.check(olds, news);
    },
    async diff(id: string, olds: any, news: any) {
      return require(modulePath).provider.diff(id, olds, news);
    },
    async create(inputs: any) {
      return require(modulePath).provider.create(inputs);
    },
    async read(id: string, props: any) {
      return require(modulePath).provider.read(id, props);
    },
    async update(id: string, olds: any, news: any) {
      return require(modulePath).provider.update(id, olds, news);
    },
    async delete(id: string, props: any) {
      return require(modulePath).provider.delete(id, props);
    },
  };
}

/** Absolute path of a compiled provider module, resolved where the SDK is installed. */
export function providerModule(name: string): string {
  return require.resolve(`../provider/${name}`);
}
