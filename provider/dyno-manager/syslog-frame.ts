/**
 * Log lines as Heroku's Logplex hands them to drains (DC:log-drains): RFC 5424 messages with the
 * drain token as HOSTNAME, `app` or `heroku` as APP-NAME and the dyno (`web.1`, `router`) as
 * PROCID, framed by octet counting (RFC 6587), which both syslog drains and HTTPS drains'
 * `application/logplex-1` bodies use. Pure.
 */

/** One line waiting for a drain, as the spool keeps it (drain-spool.ts). */
export interface DrainLine {
  /** RFC 3339, UTC (`Z`), any fraction. */
  t: string;
  /** Heroku's source: `app[web.1]`, `heroku[router]`, `heroku[web.1]`, `heroku[logplex]`. */
  s: string;
  /** The line's text, one line. */
  m: string;
}

/**
 * Heroku sends on local0, local3 and local7 "subject to change" (DC:log-drains): app output on
 * local7, router lines on local3, the platform's other lines on local0, all at severity info.
 */
export function priority(source: string): number {
  const info = 6;
  if (source.startsWith("app[")) return 23 * 8 + info;
  if (source === "heroku[router]") return 19 * 8 + info;
  return 16 * 8 + info;
}

/** `app[web.1]` → `app` and `web.1`. */
export function sourceParts(source: string): { appName: string; procId: string } {
  const m = /^([a-z]+)\[([^\]]+)\]$/.exec(source);
  return m ? { appName: m[1], procId: m[2] } : { appName: "app", procId: source || "-" };
}

/** `…T12:00:00.123456789Z` → `…T12:00:00.123456+00:00`, Heroku's stamp (microseconds). */
export function herokuTimestamp(time: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(?:Z|\+00:00)$/.exec(time);
  if (!m) return new Date(Number.isNaN(Date.parse(time)) ? Date.now() : Date.parse(time)).toISOString().replace("Z", "000+00:00");
  return `${m[1]}.${(m[2] ?? "").padEnd(6, "0").slice(0, 6)}+00:00`;
}

/** RFC 5424 header fields are printable US-ASCII without spaces, at most 48 (HOSTNAME 255) characters. */
const field = (s: string, max: number) => s.replace(/[^\x21-\x7e]/g, "_").slice(0, max) || "-";

/** `<190>1 2024-01-01T12:00:00.000000+00:00 d.… app web.1 - text` */
export function syslogMessage(line: DrainLine, token: string): string {
  const { appName, procId } = sourceParts(line.s);
  const text = line.m.replace(/\r?\n/g, " ");
  return `<${priority(line.s)}>1 ${herokuTimestamp(line.t)} ${field(token, 255)} ${field(appName, 48)} ${field(procId, 128)} - ${text}`;
}

/** RFC 6587 octet counting: the message's length in bytes, a space, the message. */
export function octetFrame(message: string): string {
  return `${Buffer.byteLength(message)} ${message}`;
}

/** The frames of lines for one write (syslog) or one POST body (HTTPS, `application/logplex-1`). */
export function framesOf(lines: DrainLine[], token: string, separator: string): string {
  return lines.map((l) => octetFrame(syslogMessage(l, token))).join(separator);
}

/** Heroku's line when a drain's buffer overflowed (error L10), from `heroku[logplex]`. */
export function overflowLine(dropped: number, sinceTime: string, atTime: string): DrainLine {
  return {
    t: atTime,
    s: "heroku[logplex]",
    m: `Error L10 (output buffer overflow): ${dropped} messages dropped since ${herokuTimestamp(sinceTime)}.`,
  };
}
