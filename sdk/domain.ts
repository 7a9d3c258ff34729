import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { type App, givenApp } from "./app";
import type { DomainInputsSchema, Versioned } from "./input-schemas";
import { lazyProvider } from "./lazy-provider";
import { engineInput } from "./engine";
import { programRegistry, readGiven, resolveGiven, type Given } from "./program-registry";
import { runtimeSettings } from "./settings";

/** Arguments of a {@link Domain}. */
export interface DomainArgs {
  /** The app the hostname routes to: the {@link App} itself, or its name (an app of another stack on the same router). */
  app: App | pulumi.Input<string>;
  /**
   * The hostname, e.g. `api.example.com`, or a wildcard `*.example.com` (one label deep). Routed
   * by `Host` on HTTP and by SNI on HTTPS. A hostname belongs to one app only.
   */
  hostname: pulumi.Input<string>;
}

/** What the Domain provider receives. */
export type DomainInputs = z.infer<typeof DomainInputsSchema>;

export interface DomainOutputs extends DomainInputs, Versioned {
  /** Point a CNAME (or, at the apex, an ALIAS/ANAME) record here. */
  dnsTarget: string;
  /** `CNAME` for a subdomain, `ALIAS` for an apex name. */
  dnsRecordType: string;
  /** The router's address, for an A record where a CNAME cannot be used. */
  dnsAddress: string;
}

/**
 * A custom domain of an app (Heroku's `domains:add`): the router sends requests for `hostname`
 * to the app's web dynos, by `Host` on HTTP and by SNI on HTTPS once a {@link Certificate} is
 * installed. Outputs the DNS target to point a CNAME or A record at.
 */
export class Domain extends pulumi.dynamic.Resource {
  public readonly hostname!: pulumi.Output<string>;
  public readonly app!: pulumi.Output<string>;
  public readonly dnsTarget!: pulumi.Output<string>;
  public readonly dnsRecordType!: pulumi.Output<string>;
  public readonly dnsAddress!: pulumi.Output<string>;
  public readonly router!: pulumi.Output<string>;
  public readonly routerHttpPort!: pulumi.Output<number>;
  public readonly routerHttpsPort!: pulumi.Output<number>;
  /** The hostname as declared: known at preview even before the Domain exists (a Certificate checks it). */
  public readonly declaredHostname: pulumi.Output<string>;

  constructor(resourceName: string, args: DomainArgs, opts?: pulumi.CustomResourceOptions) {
    const settings = runtimeSettings();
    // Domains of this program run, by lower-cased hostname → resource name.
    const claims = programRegistry<string>("domainClaims");
    const app = givenApp(args.app);
    const hostname = pulumi.output(args.hostname);
    const name = fromApp(
      app,
      (a) => a.name,
      (n) => n,
    );
    const inputs: Record<keyof DomainOutputs, unknown> = {
      resource: resourceName,
      app: name,
      hostname,
      router: fromApp(
        app,
        (a) => a.router,
        () => settings.router,
      ),
      routerHttpPort: fromApp(
        app,
        (a) => a.routerHttpPort,
        () => settings.routerHttpPort,
      ),
      routerHttpsPort: fromApp(
        app,
        (a) => a.routerHttpsPort.apply((p) => p ?? settings.routerHttpsPort),
        () => settings.routerHttpsPort,
      ),
      appHostname: name.apply((n) => `${n}.${settings.baseDomain}`),
      claimError: hostname.apply((h) => claim(claims, String(h ?? "").toLowerCase(), resourceName)),
      engine: engineInput(),
      dnsTarget: undefined,
      dnsRecordType: undefined,
      dnsAddress: undefined,
      providerVersion: undefined,
    };
    super(lazyProvider<DomainInputs, DomainOutputs>("tls/domain-provider"), resourceName, inputs, opts, "dynoform", "Domain");
    this.declaredHostname = hostname.apply((h) => String(h).toLowerCase());
    const domains = programRegistry<Domain>("domains");
    hostname.apply((h) => domains.set(String(h).toLowerCase(), this));
  }
}

/** Records a hostname's claim in this program; returns the problem when another Domain has it. */
function claim(claims: Map<string, string>, hostname: string, resource: string): string {
  const holder = claims.get(hostname);
  if (holder && holder !== resource) {
    return `hostname "${hostname}" is also declared by Domain "${holder}" in this program, and a hostname can belong to one app only (rule domain-unique). Fix: remove one of the two Domains, or give them different hostnames`;
  }
  claims.set(hostname, resource);
  return "";
}

/** Reads from the App given as itself or by name; a name this program does not declare is an app of another stack, served by this machine's router. */
function fromApp<T>(app: Given<App>, read: (a: App) => pulumi.Input<T>, otherStack: (name: string) => T): pulumi.Output<T> {
  return readGiven(app, read, otherStack);
}

/** The Domain given as itself or by hostname (case-insensitive). */
export function givenDomain(domain: Domain | pulumi.Input<string>): Given<Domain> {
  return resolveGiven(
    domain,
    (x): x is Domain => x instanceof Domain,
    "domains",
    (h) => h.toLowerCase(),
  );
}
