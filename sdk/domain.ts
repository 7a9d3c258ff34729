import * as pulumi from "@pulumi/pulumi";
import { App, appsByName } from "./app";
import { lazyProvider } from "./lazy-provider";
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
export interface DomainInputs {
  /** The Pulumi resource name, for messages. */
  resource: string;
  app: string;
  hostname: string;
  router: string;
  routerHttpPort: number;
  routerHttpsPort: number;
  /** The app's own hostname (`<app>.<base domain>`): the CNAME target. */
  appHostname: string;
  /** Set when another Domain of this program claims the same hostname; `check` fails with it. */
  claimError: string;
}

export interface DomainOutputs extends DomainInputs {
  /** Point a CNAME (or, at the apex, an ALIAS/ANAME) record here. */
  dnsTarget: string;
  /** `CNAME` for a subdomain, `ALIAS` for an apex name. */
  dnsRecordType: string;
  /** The router's address, for an A record where a CNAME cannot be used. */
  dnsAddress: string;
}

/** Domains declared in this program, by lower-cased hostname → resource name. */
const claims = new Map<string, string>();
/** Domains by hostname, so a Certificate can be given `domain: "api.example.com"`. */
export const domainsByHostname = new Map<string, Domain>();

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
    const app = resolveApp(args.app, settings);
    const hostname = pulumi.output(args.hostname);
    const inputs: Record<keyof DomainOutputs, unknown> = {
      resource: resourceName,
      app: app.apply((a) => a.name),
      hostname,
      router: app.apply((a) => a.router),
      routerHttpPort: app.apply((a) => a.routerHttpPort),
      routerHttpsPort: app.apply((a) => a.routerHttpsPort ?? settings.routerHttpsPort),
      appHostname: app.apply((a) => `${a.name}.${settings.baseDomain}`),
      claimError: hostname.apply((h) => claim(String(h ?? "").toLowerCase(), resourceName)),
      dnsTarget: undefined,
      dnsRecordType: undefined,
      dnsAddress: undefined,
    };
    super(lazyProvider("tls/domain-provider"), resourceName, inputs, opts, "dynoform", "Domain");
    this.declaredHostname = hostname.apply((h) => String(h).toLowerCase());
    hostname.apply((h) => domainsByHostname.set(String(h).toLowerCase(), this));
  }
}

/** Records a hostname's claim in this program; returns the problem when another Domain has it. */
function claim(hostname: string, resource: string): string {
  const holder = claims.get(hostname);
  if (holder && holder !== resource) {
    return `hostname "${hostname}" is also declared by Domain "${holder}" in this program, and a hostname can belong to one app only (rule domain-unique). Fix: remove one of the two Domains, or give them different hostnames`;
  }
  claims.set(hostname, resource);
  return "";
}

function resolveApp(app: App | pulumi.Input<string>, settings: ReturnType<typeof runtimeSettings>) {
  const fields = (a: App) => pulumi.output({ name: a.name, router: a.router, routerHttpPort: a.routerHttpPort, routerHttpsPort: a.routerHttpsPort });
  if (app instanceof App) return fields(app);
  return pulumi.output(app).apply((name) => {
    const a = appsByName.get(name);
    if (a) return fields(a);
    // An app of another stack: it is served by this machine's router.
    return pulumi.output({ name, router: settings.router, routerHttpPort: settings.routerHttpPort, routerHttpsPort: settings.routerHttpsPort });
  });
}
