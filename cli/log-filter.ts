/**
 * Heroku's `logs` filters, pure: `--dyno web.2` (or `--dyno web`: every dyno of the type),
 * `--source app|heroku` and `--type web`, read from a line's Heroku prefix.
 */

/** A line's Heroku prefix: `app[web.1]`, `heroku[router]`, `heroku[web.1]`. */
export interface PrefixedLine {
  source: string;
}

/** Heroku's filters: `--dyno web.2` (or `--dyno web`), `--source app|heroku`, `--type web`. */
export interface LogFilter {
  dyno?: string;
  source?: string;
  type?: string;
}

/** Whether a line passes the filters; `app[web.2]` has source `app` and dyno `web.2` (type `web`), `heroku[router]` source `heroku` and dyno `router`. */
export function matchesFilter(l: PrefixedLine, f: LogFilter): boolean {
  const m = /^([a-z]+)\[([^\]]+)\]$/.exec(l.source);
  const [source, dyno] = m ? [m[1], m[2]] : [l.source, ""];
  const type = dyno.split(".")[0];
  if (f.source && f.source !== source) return false;
  if (f.dyno && f.dyno !== dyno && !(f.dyno === type && !f.dyno.includes("."))) return false;
  if (f.type && f.type !== type) return false;
  return true;
}
