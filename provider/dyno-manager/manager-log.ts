/**
 * The lines the dyno manager writes for `dynoform logs`, on its own stdout, one per line:
 *
 *   dynoform-log app=<app> source=<source> time=<RFC 3339> <text>
 *
 * `source` is Heroku's (`heroku[web.1]` for the platform's lines about a dyno, `app[web.1]` for a
 * crashed dyno's last output, kept before its container is replaced); `time` is when the line was
 * first written. Pure, so the daemon and the command share one format.
 */

/** One line of an app's log (the same shape as cli/logs.ts's `LogLine`). */
export interface ManagerLogLine {
  app: string;
  /** RFC 3339 (Docker's stamps carry nanoseconds); sorts as text. */
  time: string;
  source: string;
  text: string;
}

const PREFIX = "dynoform-log ";

export function formatManagerLogLine(l: ManagerLogLine): string {
  return `${PREFIX}app=${l.app} source=${l.source} time=${l.time} ${l.text.replace(/\r?\n/g, " ")}`;
}

/** The line's parts, or undefined for the manager's other output. */
export function parseManagerLogLine(line: string): ManagerLogLine | undefined {
  const at = line.indexOf(PREFIX);
  if (at < 0) return undefined;
  const m = /^app=(\S+) source=(\S+) time=(\S+) ?(.*)$/.exec(line.slice(at + PREFIX.length));
  return m ? { app: m[1], source: m[2], time: m[3], text: m[4] } : undefined;
}

/**
 * Heroku's lines for a dyno that stopped when nobody asked: the reason (R15 for an out-of-memory
 * kill), its exit status, and the state change.
 */
export function crashLines(exitCode: number, outOfMemory: boolean): string[] {
  return [
    ...(outOfMemory ? ["Error R15 (Memory quota vastly exceeded)", "Process killed (out of memory)"] : []),
    `Process exited with status ${exitCode}`,
    "State changed from up to crashed",
  ];
}
