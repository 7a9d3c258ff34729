/**
 * A new dyno of a process type from a running one's container config, the pure part: the dyno
 * manager adds web dynos (autoscaling) the way it restarts crashed ones — the same image,
 * command, env, limits and networks — with every place that names the dyno's number renumbered:
 * `DYNO`, the space's `HEROKU_DNS_DYNO_NAME`, the `dynoform.dyno` label and the network aliases
 * (`web.2.api.dyno`, `web.2.v3.api.dyno` the router resolves, `2.web.api.app.localspace`).
 */
import { LABEL } from "../docker/labels";

/** The parts of a container's inspect data a clone is made from. */
export interface DynoTemplate {
  name: string;
  config: Record<string, unknown> & { Env?: string[] | null; Labels: Record<string, string> };
  hostConfig: Record<string, unknown>;
  /** Network name → the aliases the dyno has there. */
  aliases: Record<string, string[]>;
}

/** The create request for the new dyno, and its container name. */
export interface DynoClone {
  name: string;
  body: Record<string, unknown>;
  /** Networks after the first: Docker's create takes one, the rest are joined before the start. */
  laterNetworks: Record<string, string[]>;
}

/** Env vars that name the dyno: Heroku's `DYNO`, and the space's DNS name of the dyno. */
const NUMBERED_ENV = new Set(["DYNO", "HEROKU_DNS_DYNO_NAME"]);

const regexQuote = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * `processType.from` → `processType.to` where it stands as a whole (`web.1` but not `web.10`),
 * and `from.processType.` → `to.processType.` (a space's dyno names put the number first).
 */
export function renumber(text: string, processType: string, from: number, to: number): string {
  const t = regexQuote(processType);
  return text
    .replace(new RegExp(`(^|[^A-Za-z0-9_-])${t}\\.${from}(?![0-9])`, "g"), `$1${processType}.${to}`)
    .replace(new RegExp(`(^|[^A-Za-z0-9_-])${from}\\.${t}\\.`, "g"), `$1${to}.${processType}.`);
}

export function cloneDyno(t: DynoTemplate, processType: string, from: number, to: number): DynoClone {
  const r = (s: string) => renumber(s, processType, from, to);
  // Only what names the dyno: an app's own config vars are left as they are.
  const labels = { ...t.config.Labels, [LABEL.dyno]: r(t.config.Labels[LABEL.dyno] ?? "") };
  const env = (t.config.Env ?? []).map((e) => {
    const at = e.indexOf("=");
    return at > 0 && NUMBERED_ENV.has(e.slice(0, at)) ? `${e.slice(0, at)}=${r(e.slice(at + 1))}` : e;
  });
  const nets = Object.entries(t.aliases);
  const endpoints = (list: Array<[string, string[]]>) => Object.fromEntries(list.map(([n, a]) => [n, a.map(r)]));
  // The first network is the one the dyno was created on (its NetworkMode).
  const mode = typeof t.hostConfig.NetworkMode === "string" ? t.hostConfig.NetworkMode : nets[0]?.[0];
  const first = nets.filter(([n]) => n === mode);
  const rest = nets.filter(([n]) => n !== mode);
  return {
    name: r(t.name),
    body: {
      ...t.config,
      Hostname: undefined,
      Env: env,
      Labels: labels,
      HostConfig: t.hostConfig,
      NetworkingConfig: { EndpointsConfig: Object.fromEntries(first.map(([n, a]) => [n, { Aliases: a.map(r) }])) },
    },
    laterNetworks: endpoints(rest),
  };
}
