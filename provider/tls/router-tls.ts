/**
 * The router's TLS side, pure: where custom domains, certificates, pending ACME challenges and
 * HTTPS redirects live in the router's TLS store (a folder, on a labelled volume), how that store
 * reads back, and the HAProxy lines they become. The router controller feeds it what it observed;
 * nothing here touches Docker.
 */
import type { SwarmEngine } from "../../sdk/engine";
import type { Route } from "../router/route";

/** What the TLS side reads of a route (a Swarm route has no servers: Swarm's DNS finds them). */
export type HostnameRoute = Pick<Route, "app" | "hostnames">;

/** The router's TLS store: a volume `<router>-tls` mounted here in the router container. */
export const TLS_DIR = "/etc/haproxy/tls";

/** A hostname claimed by one app (a Domain). */
export interface DomainClaim {
  hostname: string;
  app: string;
}

/** A certificate and its private key, installed for one domain's hostname. */
export interface InstalledCertificate {
  hostname: string;
  /** Path relative to {@link TLS_DIR}. */
  file: string;
  /** Chain then private key, as HAProxy reads it. */
  pem: string;
}

/** An HTTP-01 challenge the router answers while an ACME order runs. */
export interface AcmeChallenge {
  hostname: string;
  token: string;
  keyAuthorization: string;
}

export interface TlsState {
  domains: DomainClaim[];
  certificates: InstalledCertificate[];
  challenges: AcmeChallenge[];
  /** Apps whose plain-HTTP requests to a hostname with a certificate go to HTTPS. */
  redirectApps: string[];
}

/** What the router config needs from the TLS side (see renderRouterConfig). */
export interface RouterTlsConfig {
  /** Installed certificates: the HTTPS listener exists only when there is one. */
  certificates: Array<{ hostname: string; file: string }>;
  challenges: AcmeChallenge[];
  /** Hostnames (exact or `*.` wildcards) whose plain-HTTP requests are redirected to HTTPS. */
  redirectHosts: string[];
}

const TOKEN = /^[A-Za-z0-9_-]{16,256}$/;
const KEY_AUTHORIZATION = /^[A-Za-z0-9_-]{16,256}\.[A-Za-z0-9_-]{16,256}$/;

export function isWildcard(hostname: string): boolean {
  return hostname.startsWith("*.");
}

/** A hostname as a file name: lower-cased, `*` spelled `_wildcard_` (never a valid label). */
export function hostKey(hostname: string): string {
  return hostname.toLowerCase().replace(/^\*\./, "_wildcard_.");
}

/** File names in the TLS store, relative to {@link TLS_DIR}. */
export const tlsFile = {
  domain: (hostname: string) => `domains/${hostKey(hostname)}.json`,
  certificate: (hostname: string) => `certs/${hostKey(hostname)}.pem`,
  challenge: (token: string) => `challenges/${token}.json`,
  redirect: (app: string) => `redirects/${app}`,
  crtList: "crt-list",
};

/** Reads the store's files (path relative to TLS_DIR → content) back into state; junk is ignored. */
export function parseTlsFiles(files: Record<string, string>): TlsState {
  const state: TlsState = { domains: [], certificates: [], challenges: [], redirectApps: [] };
  for (const [name, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const [folder, file] = name.split("/");
    if (!file) continue;
    if (folder === "domains" && file.endsWith(".json")) {
      const claim = parseJson(content) as DomainClaim | undefined;
      if (claim && typeof claim.hostname === "string" && typeof claim.app === "string")
        state.domains.push({ hostname: claim.hostname.toLowerCase(), app: claim.app });
    } else if (folder === "certs" && file.endsWith(".pem")) {
      const hostname = file.slice(0, -4).replace(/^_wildcard_\./, "*.");
      state.certificates.push({ hostname, file: name, pem: content });
    } else if (folder === "challenges" && file.endsWith(".json")) {
      const c = parseJson(content) as AcmeChallenge | undefined;
      if (c && typeof c.hostname === "string" && TOKEN.test(c.token) && KEY_AUTHORIZATION.test(c.keyAuthorization))
        state.challenges.push(c);
    } else if (folder === "redirects") {
      state.redirectApps.push(file);
    }
  }
  return state;
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Adds each app's custom domains to its route; a claim for an app the router does not serve is ignored. */
export function withCustomDomains<R extends HostnameRoute>(routes: R[], state: TlsState): R[] {
  return routes.map((r) => {
    const extra = state.domains.filter((d) => d.app === r.app).map((d) => d.hostname);
    if (extra.length === 0) return r;
    return { ...r, hostnames: [...new Set([...r.hostnames.map((h) => h.toLowerCase()), ...extra])] };
  });
}

/** Whether a certificate name (exact or `*.` wildcard) covers a hostname, as TLS clients match it. */
export function hostnameCovers(certName: string, hostname: string): boolean {
  const name = certName.toLowerCase();
  const host = hostname.toLowerCase();
  if (name === host) return true;
  if (!isWildcard(name) || isWildcard(host)) return false;
  const dot = host.indexOf(".");
  return dot > 0 && host.slice(dot) === name.slice(1);
}

/** The TLS part of the router config for these routes (custom domains already added). */
export function routerTlsConfig(routes: HostnameRoute[], state: TlsState): RouterTlsConfig {
  const certs = state.certificates.map((c) => ({ hostname: c.hostname, file: c.file }));
  const redirectHosts: string[] = [];
  for (const r of routes) {
    if (!state.redirectApps.includes(r.app)) continue;
    for (const h of r.hostnames) if (certs.some((c) => hostnameCovers(c.hostname, h))) redirectHosts.push(h.toLowerCase());
  }
  return { certificates: certs, challenges: state.challenges, redirectHosts: [...new Set(redirectHosts)].sort() };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** An HAProxy condition on the request's host: exact, or one label under a wildcard. */
export function hostCondition(hostname: string): string {
  const h = hostname.toLowerCase();
  return isWildcard(h) ? `{ var(txn.host) -m reg ^[^.]+${escapeRegex(h.slice(1))}$ }` : `{ var(txn.host) -m str ${h} }`;
}

/**
 * `use_backend` lines for wildcard hostnames. They come after every exact hostname, so
 * `api.example.com` wins over `*.example.com`; a longer wildcard wins over a shorter one.
 */
export function renderWildcardRoutes(routes: HostnameRoute[], backendName: (app: string) => string): string[] {
  const rules = routes.flatMap((r) => r.hostnames.filter(isWildcard).map((h) => ({ h: h.toLowerCase(), app: r.app })));
  rules.sort((a, b) => b.h.length - a.h.length || a.h.localeCompare(b.h));
  return rules.map(({ h, app }) => `  use_backend ${backendName(app)} if ${hostCondition(h)}`);
}

/** The HTTPS listener: SNI over the installed certificates, only when there is at least one. */
export function renderHttpsBind(tls: RouterTlsConfig | undefined, tlsMinVersion?: string): string[] {
  if (!tls || tls.certificates.length === 0) return [];
  const minVer = tlsMinVersion ? ` ssl-min-ver ${tlsMinVersion}` : "";
  return [`  bind :443 ssl crt-list ${TLS_DIR}/${tlsFile.crtList} alpn h2,http/1.1${minVer}`];
}

/** Heroku's headers on the TLS side: `X-Forwarded-Proto: https` and the public HTTPS port. */
export function renderForwardedTls(publicHttpsPort: number | undefined): string[] {
  if (!publicHttpsPort) return ["  http-request set-header X-Forwarded-Proto https if { ssl_fc }"];
  return [
    "  http-request set-header X-Forwarded-Proto https if { ssl_fc }",
    `  http-request set-header X-Forwarded-Port ${publicHttpsPort} if { ssl_fc }`,
  ];
}

/**
 * Plain-HTTP rules, before any routing: answers to pending ACME HTTP-01 challenges (for their
 * hostname only), then the per-app redirects to HTTPS (which never catch a challenge).
 */
export function renderTlsHttpRules(tls: RouterTlsConfig | undefined, publicHttpsPort: number | undefined): string[] {
  if (!tls) return [];
  const lines: string[] = [];
  for (const c of [...tls.challenges].sort((a, b) => a.token.localeCompare(b.token))) {
    if (!TOKEN.test(c.token) || !KEY_AUTHORIZATION.test(c.keyAuthorization)) continue;
    lines.push(
      `  http-request return status 200 content-type text/plain string ${c.keyAuthorization} if !{ ssl_fc } { path /.well-known/acme-challenge/${c.token} } ${hostCondition(c.hostname)}`,
    );
  }
  const port = publicHttpsPort && publicHttpsPort !== 443 ? `:${publicHttpsPort}` : "";
  for (const h of tls.redirectHosts) {
    lines.push(
      `  http-request redirect location https://%[var(txn.host)]${port}%[capture.req.uri] code 301 if !{ ssl_fc } ${hostCondition(h)}`,
    );
  }
  return lines;
}

/**
 * HAProxy's crt-list: one line per certificate, served only for its domain's SNI name. The first
 * line is also what a client without SNI gets.
 */
export function renderCrtList(tls: RouterTlsConfig): string {
  const sorted = [...tls.certificates].sort((a, b) => a.hostname.localeCompare(b.hostname));
  return sorted.map((c) => `${TLS_DIR}/${c.file} ${c.hostname.toLowerCase()}\n`).join("");
}

/* Where a router keeps this state, on either engine (tls-store.ts, engine/swarm-tls-store.ts). */

/** One place a router listens, as a client reaches it. */
export interface RouterEndpoint {
  host: string;
  port: number;
}

export interface TlsStore {
  /** The store's files read back; undefined when there is no router yet. */
  state(): Promise<TlsState | undefined>;
  /** Writes files (paths as in `tlsFile`) and returns once the router renders them. */
  write(files: Record<string, string>): Promise<void>;
  remove(names: string[]): Promise<void>;
  /**
   * Writes files once `check` passes on the store's state, read under the router's lock where the
   * engine has one, so two claims of one hostname cannot both pass; `check` throws to refuse.
   */
  writeChecked(files: Record<string, string>, check: (state: TlsState | undefined) => Promise<void>): Promise<void>;
  /** Every router replica's plain-HTTP and HTTPS listeners (HTTPS empty when none is published). */
  endpoints(): Promise<{ http: RouterEndpoint[]; https: RouterEndpoint[] }>;
  /** Whether the app still exists for this router (a claim of an app that does not blocks nobody). */
  appExists(app: string): Promise<boolean>;
  /** Whether the router serves the app (its network is on the router). */
  serves(app: string): Promise<boolean>;
  /** Where to look when the router does not serve what it was given. */
  logHint: string;
}

/** What a Domain or Certificate knows of its router. */
export interface RouterRef {
  router: string;
  routerHttpPort: number;
  routerHttpsPort: number;
  /** Absent on one Docker Engine. */
  engine?: SwarmEngine;
}
