/**
 * A log drain's URL, read the way Heroku's `drains:add` reads it: syslog over TCP, syslog over TLS,
 * or HTTPS. Pure, so the LogDrain resource, its provider's `check` and the drain forwarder agree.
 */

/** The schemes a drain may use, with the port each defaults to. */
export const DRAIN_SCHEMES = { syslog: 514, "syslog+tls": 6514, https: 443 } as const;

export type DrainScheme = keyof typeof DRAIN_SCHEMES;

/** Where a drain delivers: never carries the URL's user info, path or query (they may hold a token). */
export interface DrainTarget {
  scheme: DrainScheme;
  host: string;
  port: number;
}

const isScheme = (s: string): s is DrainScheme => Object.hasOwn(DRAIN_SCHEMES, s);

/** The URL's target, or undefined when {@link drainUrlProblem} has something to say. */
export function drainTarget(url: string): DrainTarget | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const scheme = u.protocol.replace(/:$/, "");
  if (!isScheme(scheme) || !u.hostname) return undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  return { scheme, host, port: u.port ? Number(u.port) : DRAIN_SCHEMES[scheme] };
}

/** `syslog+tls://logs.example.com:6514`: what messages and logs may show of a drain's URL. */
export function maskDrainUrl(url: string): string {
  const t = drainTarget(url);
  if (t) return `${t.scheme}://${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  return scheme ? `${scheme}://…` : "(not a URL)";
}

/**
 * What is wrong with a drain URL (rule `log-drain-scheme`), or "" when nothing is. The message
 * shows the scheme and host only: the rest of a drain URL may hold credentials.
 */
export function drainUrlProblem(url: string): string {
  const supported =
    "Dynoform's drains, as Heroku's, speak syslog over TCP (syslog://host:port), syslog over TLS (syslog+tls://host:port) or HTTPS (https://host/path)";
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `url ${maskDrainUrl(url)} is not a URL (rule log-drain-scheme). ${supported}. Fix: give the receiver's full URL, e.g. syslog+tls://logs.example.com:6514`;
  }
  const scheme = u.protocol.replace(/:$/, "");
  if (!isScheme(scheme)) {
    const hint =
      scheme === "http"
        ? "; plain HTTP would send the logs unencrypted: put TLS in front of the receiver and use https://"
        : scheme === "tcp" || scheme === "udp" || scheme === "syslog+udp"
          ? "; syslog goes over TCP only (RFC 6587 octet counting), never UDP: use syslog:// or syslog+tls://"
          : "";
    return `url scheme "${scheme}:" is not supported (rule log-drain-scheme). ${supported}. Fix: use one of these schemes${hint}`;
  }
  if (!u.hostname)
    return `url ${scheme}://… has no host (rule log-drain-scheme). Fix: name the receiver's host, e.g. ${scheme}://logs.example.com`;
  if (scheme !== "https" && (u.pathname.replace(/^\/$/, "") !== "" || u.search !== "" || u.username !== "")) {
    return `url ${maskDrainUrl(url)}: a syslog drain is a host and a port only; a path, query or user name would be ignored (rule log-drain-scheme). Fix: drop them, or use an https:// drain to send a token in the URL`;
  }
  return "";
}
