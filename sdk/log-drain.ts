import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { type App, givenApp } from "./app";
import type { LogDrainInputsSchema, Versioned } from "./input-schemas";
import { lazyProvider } from "./lazy-provider";
import { readGiven } from "./program-registry";
import { fromSpace, givenSpace, type Space } from "./space";

/** Arguments of a {@link LogDrain}: an `app`, or a Shield `space`, and the receiver's `url`. */
export interface LogDrainArgs {
  /** The app whose log the drain gets: the {@link App} itself, or its name. */
  app?: App | pulumi.Input<string>;
  /** A Shield space whose apps' logs the drain gets, all of them (Heroku's Private Space Logging). */
  space?: Space | pulumi.Input<string>;
  /**
   * The receiver: `syslog://host:port` (TCP), `syslog+tls://host:port` (TLS) or
   * `https://host/path` (Heroku's `application/logplex-1` batches). Pass a secret when the URL
   * holds a token: it stays one in the state.
   */
  url: pulumi.Input<string>;
  /**
   * PEM of a CA to trust, besides the system's, for a `syslog+tls` or `https` receiver whose
   * certificate a private CA signed (a test's, a company's). Verification is never turned off.
   */
  trustedCa?: pulumi.Input<string>;
}

/** What the LogDrain provider receives. */
export type LogDrainInputs = z.infer<typeof LogDrainInputsSchema>;

export interface LogDrainOutputs extends LogDrainInputs, Versioned {
  /** Heroku's drain token, `d.<uuid>`: the HOSTNAME of every syslog line the drain sends. */
  token: string;
}

/**
 * A log drain (Heroku's `drains:add`): the app's log — its dynos' output (`app[web.1]`), the
 * router's request lines (`heroku[router]`) and the platform's lines (`heroku[web.1]`) — sent
 * as it is written to a syslog (TCP or TLS) or HTTPS receiver, buffered while the receiver is
 * down (README "Log drains").
 */
export class LogDrain extends pulumi.dynamic.Resource {
  public readonly token!: pulumi.Output<string>;
  public readonly app!: pulumi.Output<string>;
  public readonly space!: pulumi.Output<string>;
  public readonly url!: pulumi.Output<string>;

  constructor(resourceName: string, args: LogDrainArgs, opts?: pulumi.CustomResourceOptions) {
    if ((args.app === undefined) === (args.space === undefined)) {
      throw new pulumi.RunError(
        `LogDrain "${resourceName}": give exactly one of \`app\` (an app's drain) or \`space\` (a Shield space's drain for all its apps) (rule log-drain-scope). Fix: ${args.app === undefined ? "add `app: myApp`" : "remove one of the two; a space's drain already gets its apps' lines"}`,
      );
    }
    const app =
      args.app === undefined
        ? pulumi.output("")
        : readGiven(
            givenApp(args.app),
            (a) => a.name,
            (n) => n,
          );
    const space = args.space === undefined ? undefined : givenSpace(args.space);
    const inputs: Record<keyof LogDrainOutputs, unknown> = {
      resource: resourceName,
      app,
      space: space ? fromSpace(space, (s) => s.name) : "",
      spaceShield: space ? fromSpace(space, (s) => s.isShield) : false,
      url: args.url,
      trustedCa: args.trustedCa ?? "",
      token: undefined,
      providerVersion: undefined,
    };
    super(lazyProvider<LogDrainInputs, LogDrainOutputs>("drains/log-drain-provider"), resourceName, inputs, opts, "dynoform", "LogDrain");
  }
}
