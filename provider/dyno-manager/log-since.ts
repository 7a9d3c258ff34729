/**
 * Reading a log again from where the last read ended (pure). Docker's logs API takes `since` as
 * `<seconds>.<nanoseconds>` and answers lines stamped (RFC 3339, nanoseconds) from there on.
 */

/**
 * Docker's `since` just after a line's RFC 3339 stamp: the next read starts past it (a line read
 * twice would wake an app that has gone back to sleep since).
 */
export function sinceAfter(stamp: string): string | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(stamp);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}Z`) / 1000;
  const nanos = Number((m[2] ?? "").padEnd(9, "0")) + 1;
  return nanos >= 1e9 ? `${seconds + 1}.000000000` : `${seconds}.${String(nanos).padStart(9, "0")}`;
}
