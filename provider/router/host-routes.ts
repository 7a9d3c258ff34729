/**
 * Which app a request's Host goes to, by the router's own rule (router-config.ts and
 * router-tls.ts render it into HAProxy): an exact hostname of any app first, then the longest
 * wildcard. `dynoform logs` picks an app's request lines with it and the dyno manager counts each
 * request for its app's metrics with it. Pure; its only import carries no imports of its own, so
 * the dyno manager's image can carry it.
 */
import { hostnameCovers, isWildcard, TLS_DIR, type DomainClaim } from "../tls/router-tls";
import { LABEL } from "../docker/labels";

/** An app's hostnames on one router (its network's label, and the custom domains it claims). */
export interface HostRoute {
  app: string;
  hostnames: string[];
}

/** The app the router sends a request for `host` to, or undefined (the router's "No such app"). */
export function appForHost(routes: HostRoute[], host: string): string | undefined {
  const h = host.toLowerCase();
  const exact = routes.find((r) => r.hostnames.some((n) => !isWildcard(n) && n.toLowerCase() === h));
  if (exact) return exact.app;
  const wildcards = routes.flatMap((r) => r.hostnames.filter(isWildcard).map((n) => ({ n: n.toLowerCase(), app: r.app })));
  wildcards.sort((a, b) => b.n.length - a.n.length || a.n.localeCompare(b.n));
  return wildcards.find((w) => hostnameCovers(w.n, h))?.app;
}

/** Whether the router sends a request for `host` to `app`. */
export function servesHost(routes: HostRoute[], app: string, host: string): boolean {
  return appForHost(routes, host) === app;
}

/**
 * Every route of one router: the hostnames of its app networks (their labels) and the custom
 * domains claimed in its TLS store, which is where Domain resources live. `apps` adds apps to list
 * even without a network on this router (an app asked about by name).
 */
export function hostRoutes(networkLabels: Array<Record<string, string>>, claims: DomainClaim[], apps: string[] = []): HostRoute[] {
  const names = [...new Set([...apps, ...networkLabels.map((l) => l[LABEL.app]).filter((a): a is string => Boolean(a))])];
  return names.map((app) => ({
    app,
    hostnames: [
      ...networkLabels.filter((l) => l[LABEL.app] === app).flatMap((l) => (l[LABEL.hostname] ?? "").split(",").filter(Boolean)),
      ...claims.filter((c) => c.app === app).map((c) => c.hostname),
    ],
  }));
}

/** A shell command, run in the router, that prints each domain claim of its TLS store on one line. */
export const DOMAIN_CLAIMS_COMMAND = [
  "sh",
  "-c",
  `for f in ${TLS_DIR}/domains/*.json; do [ -f "$f" ] && tr -d '\\n' < "$f" && echo; done; true`,
];

/** {@link DOMAIN_CLAIMS_COMMAND}'s output back into claims; junk lines are skipped. */
export function parseDomainClaims(output: string): DomainClaim[] {
  const claims: DomainClaim[] = [];
  for (const line of output.split("\n")) {
    try {
      const c = JSON.parse(line) as Partial<DomainClaim>;
      if (typeof c.hostname === "string" && typeof c.app === "string") claims.push({ hostname: c.hostname.toLowerCase(), app: c.app });
    } catch {
      /* not a claim */
    }
  }
  return claims;
}
