import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { SpaceInputsSchema, SpacePlacementSchema, Versioned } from "./input-schemas";
import { lazyProvider } from "./lazy-provider";
import { engineInput, stackEngine } from "./engine";
import { programRegistry, readGiven, resolveGiven, type Given } from "./program-registry";

/** Arguments of a {@link Space}. */
export interface SpaceArgs {
  /** The space's name (lower-case letters and digits, single dashes). Defaults to the resource name. */
  name?: string;
  /** A Shield space: dynos have no outbound network, no one-off dynos, only TLS 1.2+, query strings kept out of router logs. */
  shield?: boolean;
  /**
   * CIDR ranges allowed to reach the space's router (Heroku's Trusted IP Ranges). Default: all.
   * Matched against the client's own address (the engine runs without Docker's userland proxy).
   * Include `127.0.0.1/32` to allow this machine (its connections arrive from the gateway of the
   * router network Docker publishes on, which Dynoform then admits too, and no other gateway).
   */
  trustedIpRanges?: string[];
  /** The space router's HTTP port on 127.0.0.1 (default: the first free one from 8400; on a Swarm, on each edge node). */
  httpPort?: number;
  /** The space router's HTTPS port on 127.0.0.1 (default: the first free one from 8450). */
  httpsPort?: number;
}

/** What the Space provider receives (0 for a port: pick a free one at creation). */
export type SpaceInputs = z.infer<typeof SpaceInputsSchema>;

export interface SpaceOutputs extends SpaceInputs, Versioned {
  /** The Docker network on which the space's dynos reach each other by name. */
  network: string;
  /** The space's own router (container name). */
  router: string;
}

/** How an app sees the space it runs in (plain data, carried in the App's state). */
export type SpacePlacement = z.infer<typeof SpacePlacementSchema>;

/**
 * A Private Space (or, with `shield`, a Shield Space): an isolated network in which its apps'
 * dynos reach each other by name (`<n>.<process>.<app>.app.localspace`) and nothing outside can,
 * with a router of its own on its own ports.
 */
export class Space extends pulumi.dynamic.Resource {
  public readonly name!: pulumi.Output<string>;
  public readonly shield!: pulumi.Output<boolean>;
  public readonly trustedIpRanges!: pulumi.Output<string[]>;
  public readonly network!: pulumi.Output<string>;
  public readonly router!: pulumi.Output<string>;
  public readonly httpPort!: pulumi.Output<number>;
  public readonly httpsPort!: pulumi.Output<number>;
  /** The name and kind as plain values: known at preview, so the tier rules can check apps in it before anything exists. */
  public readonly spaceName: string;
  public readonly isShield: boolean;

  constructor(resourceName: string, args: SpaceArgs = {}, opts?: pulumi.CustomResourceOptions) {
    const name = args.name ?? resourceName;
    const engine = stackEngine();
    const inputs: Record<keyof SpaceOutputs, unknown> = {
      name,
      shield: args.shield ?? false,
      trustedIpRanges: args.trustedIpRanges ?? [],
      httpPort: args.httpPort ?? 0,
      httpsPort: args.httpsPort ?? 0,
      engine: engineInput(engine),
      network: undefined,
      router: undefined,
      providerVersion: undefined,
    };
    super(
      lazyProvider<SpaceInputs, SpaceOutputs>(engine ? "engine/swarm-space-provider" : "spaces/space-provider"),
      resourceName,
      inputs,
      opts,
      "dynoform",
      "Space",
    );
    this.spaceName = name;
    this.isShield = args.shield ?? false;
    programRegistry<Space>("spaces").set(name, this);
  }

  /** What an App placed in this space carries. */
  placement(): pulumi.Output<SpacePlacement> {
    return pulumi.output({
      name: this.name,
      shield: this.shield,
      network: this.network,
      router: this.router,
      httpPort: this.httpPort,
      httpsPort: this.httpsPort,
      trustedIpRanges: this.trustedIpRanges,
    });
  }
}

/** The Space given as itself or by name (a Space declared in this program). */
export function givenSpace(space: Space | pulumi.Input<string>): Given<Space> {
  return resolveGiven(space, (x): x is Space => x instanceof Space, "spaces");
}

/** Reads from the Space given as itself or by name; a name this program does not declare fails the program. */
export function fromSpace<T>(space: Given<Space>, read: (s: Space) => pulumi.Input<T>): pulumi.Output<T> {
  return readGiven(space, read, (name) => {
    throw new pulumi.RunError(
      `App: no Space named "${name}" in this program. Fix: pass the Space resource itself (space: mySpace), or declare the Space in the same program`,
    );
  });
}
