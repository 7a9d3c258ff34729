/**
 * `dynoform restart` (Heroku's `ps:restart`) and a rollback's dyno swap, planned: which dynos,
 * in what order, what each fresh container is made from, and the lines Heroku's platform logs.
 * Pure: provider/formations/dyno-restart.ts does it with the Docker Engine.
 */
import { LABEL } from "../docker/labels";

/** One dyno of the app as Docker lists it. */
export interface RestartCandidate {
  id: string;
  /** `web.2`. */
  dyno: string;
  processType: string;
}

/** What to restart: every dyno, one process type, or one dyno (Heroku: `ps:restart [web | web.2]`). */
export interface RestartSelection {
  type?: string;
  dyno?: string;
}

/**
 * The dynos a restart takes, or why none: web dynos one after another (each out of the router
 * before it stops, back once it is up, so the others serve meanwhile), the rest all at once.
 */
export function restartTargets(
  app: string,
  dynos: RestartCandidate[],
  sel: RestartSelection,
): { web: RestartCandidate[]; others: RestartCandidate[] } | { error: string } {
  const names = [...dynos].sort(byDyno).map((d) => d.dyno);
  if (sel.type && sel.dyno) return { error: "give --type or --dyno, not both. Fix: leave one out" };
  if (dynos.length === 0)
    return {
      error: `app "${app}" has no dynos on this Docker Engine. Fix: check the name with \`dynoform ps\`; scale it up with \`pulumi up\``,
    };
  let chosen = dynos;
  if (sel.dyno) {
    chosen = dynos.filter((d) => d.dyno === sel.dyno);
    if (chosen.length === 0)
      return {
        error: `app "${app}" has no dyno ${sel.dyno} (it has ${names.join(", ")}). Fix: name one of those, as \`dynoform ps\` lists them`,
      };
  } else if (sel.type) {
    chosen = dynos.filter((d) => d.processType === sel.type);
    if (chosen.length === 0) {
      const types = [...new Set(dynos.map((d) => d.processType))].sort();
      return { error: `app "${app}" has no ${sel.type} dynos (it has ${types.join(", ")}). Fix: name one of those process types` };
    }
  }
  const sorted = [...chosen].sort(byDyno);
  return { web: sorted.filter((d) => d.processType === "web"), others: sorted.filter((d) => d.processType !== "web") };
}

function byDyno(a: { dyno: string }, b: { dyno: string }): number {
  const [ta, na] = a.dyno.split(".");
  const [tb, nb] = b.dyno.split(".");
  return ta.localeCompare(tb) || Number(na) - Number(nb);
}

/** Heroku's platform lines of a restart, in order, as `heroku[web.1]` writes them. */
export const RESTART_LINES = {
  restarting: "Restarting",
  toStarting: (from: "up" | "crashed" | "down") => `State changed from ${from} to starting`,
  sigterm: "Stopping all processes with SIGTERM",
  exited: (status: number) => `Process exited with status ${status}`,
  starting: (command: string) => `Starting process with command \`${command}\``,
  up: "State changed from starting to up",
} as const;

/** The command as Heroku prints it: the shell line of a Procfile command, else the argv joined. */
export function commandLine(cmd: string[] | null | undefined): string {
  const c = cmd ?? [];
  return c[0] === "/bin/sh" && c[1] === "-c" ? c.slice(2).join(" ") : c.join(" ");
}

/** The label a restart puts on the fresh container: the crash cool-off counts from it (see dyno-restart.ts). */
export const RESTARTED_AT_LABEL = LABEL.restartedAt;

/** A rollback's changes to a dyno: another release's image and config. */
export interface ReleaseSwap {
  release: string;
  image: string;
  /** The release's config vars and secrets. */
  config: Record<string, string>;
}

/** The parts of `docker inspect` a fresh container is made from. */
export interface InspectedDyno {
  Id: string;
  Name: string;
  Config: { Image: string; Env?: string[] | null; Labels: Record<string, string>; Cmd?: string[] | null } & Record<string, unknown>;
  HostConfig: Record<string, unknown>;
  NetworkSettings: { Networks: Record<string, { Aliases?: string[] | null }> };
}

/** Environment variables the platform sets on a dyno (not the app's config): kept across a rollback. */
export const isPlatformVar = (name: string) => name === "DYNO" || name === "PORT" || name.startsWith("HEROKU_DNS_");

/**
 * What a fresh container of this dyno is created with: the same name, command, limits, labels
 * and network names; on its first network at creation, the others joined after (engines before
 * API 1.44 take one network at creation). A restart stamps the time (the crash cool-off counts
 * from it); a rollback also swaps the image, the config (platform variables kept), the release
 * label and the release's DNS name the router finds a web dyno by.
 */
export function freshDynoOptions(
  info: InspectedDyno,
  opts: { restartedAt: string; swap?: ReleaseSwap },
): { name: string; create: Record<string, unknown>; otherNetworks: Record<string, { Aliases: string[] }> } {
  const name = info.Name.replace(/^\//, "");
  const oldRelease = info.Config.Labels["dynoform.release"] ?? "";
  const swap = opts.swap;
  const aliasesOf = (aliases: string[] | null | undefined) =>
    (aliases ?? [])
      .filter((a) => !info.Id.startsWith(a))
      .map((a) =>
        swap && oldRelease && a.split(".")[2] === oldRelease
          ? a
              .split(".")
              .map((p, i) => (i === 2 ? swap.release : p))
              .join(".")
          : a,
      );
  // The network the container was created on first (its NetworkMode), the others after.
  const mode = String(info.HostConfig.NetworkMode ?? "");
  const names = Object.keys(info.NetworkSettings.Networks);
  const [first, ...rest] = names.includes(mode) ? [mode, ...names.filter((n) => n !== mode)] : names;
  const env = swap
    ? [
        ...(info.Config.Env ?? []).filter((e) => isPlatformVar(e.slice(0, e.indexOf("=")))),
        ...Object.entries(swap.config)
          .filter(([k]) => !isPlatformVar(k))
          .map(([k, v]) => `${k}=${v}`),
      ]
    : info.Config.Env;
  return {
    name,
    create: {
      ...info.Config,
      Image: swap ? swap.image : info.Config.Image,
      Env: env,
      Labels: { ...info.Config.Labels, [RESTARTED_AT_LABEL]: opts.restartedAt, ...(swap ? { "dynoform.release": swap.release } : {}) },
      // Docker fills Hostname with the old container's id: let it make a new one.
      Hostname: undefined,
      HostConfig: info.HostConfig,
      NetworkingConfig: first
        ? { EndpointsConfig: { [first]: { Aliases: aliasesOf(info.NetworkSettings.Networks[first].Aliases) } } }
        : undefined,
    },
    otherNetworks: Object.fromEntries(rest.map((n) => [n, { Aliases: aliasesOf(info.NetworkSettings.Networks[n].Aliases) }])),
  };
}
