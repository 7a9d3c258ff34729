/**
 * The router's error codes, as Heroku documents them (heroku-facts §8): each becomes a short
 * branded page that the router serves, and the `at=error code=… desc=…` part of its log line.
 */
export interface RouterError {
  code: "H10" | "H12" | "H14" | "H20" | "H80" | "H82" | "H99";
  status: number;
  /** `info` for what is no fault (H80, maintenance mode: Heroku logs it `at=info`); default `error`. */
  at?: "info" | "error";
  /** The page's heading; default "Application error". */
  title?: string;
  /** Heroku's own description, quoted in the router log line. */
  desc: string;
  /** One sentence for the person who sees the page. */
  hint: string;
}

export const ROUTER_ERRORS: Record<RouterError["code"], RouterError> = {
  H10: {
    code: "H10",
    status: 503,
    desc: "App crashed",
    hint: "The app's web dynos are not running. Its owner can see why with `dynoform logs`.",
  },
  H12: { code: "H12", status: 503, desc: "Request timeout", hint: "The app did not start its response within 30 seconds." },
  H14: { code: "H14", status: 503, desc: "No web dynos running", hint: "The app has no web dynos. Its owner can scale web above 0." },
  H20: { code: "H20", status: 503, desc: "App boot timeout", hint: "The app's web dyno did not wake up in time." },
  H80: {
    code: "H80",
    status: 503,
    at: "info",
    desc: "Maintenance mode",
    title: "Offline for maintenance",
    hint: "This app is undergoing maintenance right now. Please check back in a bit.",
  },
  // Heroku's title for H82 today; older logs said "Free dyno quota exhausted".
  H82: {
    code: "H82",
    status: 503,
    desc: "You've used up your dyno hour pool",
    title: "Eco dyno hours used up",
    hint: "This app runs on Eco dynos, whose monthly hours are used up. It sleeps until the pool resets at the start of next month; its owner can see the hours with `dynoform eco`.",
  },
  H99: { code: "H99", status: 503, desc: "Platform error", hint: "The router could not serve this request." },
};

/** The header that carries the log fragment from an error page to the log line; never sent to clients. */
export const LOG_HEADER = "x-dynoform-log";

/** `at=error code=H12 desc="Request timeout"`: Heroku's prefix of an error's router log line. */
export function errorLogFragment(e: RouterError): string {
  return `at=${e.at ?? "error"} code=${e.code} desc="${e.desc}"`;
}

/**
 * A whole HTTP response, as HAProxy's `errorfile` wants it: status line, headers, body. The body
 * is short and says the code, as Heroku's error pages do.
 */
export function renderErrorFile(e: RouterError): string {
  const body = [
    "<!DOCTYPE html>",
    `<html><head><meta charset="utf-8"><title>${e.title ?? "Application error"} (${e.code})</title></head>`,
    `<body style="font-family:sans-serif;margin:4em auto;max-width:36em"><h1>${e.title ?? "Application error"}</h1>`,
    `<p>${e.hint}</p><p><small>Dynoform router &middot; code ${e.code} (${e.desc})</small></p></body></html>`,
    "",
  ].join("\n");
  return errorResponse(e, body);
}

/** A whole 503 response carrying `body` and the error's log fragment (for custom pages too). */
export function errorResponse(e: RouterError, body: string): string {
  return [
    `HTTP/1.1 ${e.status} Service Unavailable`,
    "content-type: text/html; charset=utf-8",
    "cache-control: no-cache, no-store",
    "connection: close",
    `content-length: ${Buffer.byteLength(body)}`,
    `${LOG_HEADER}: ${errorLogFragment(e)}`,
    "",
    body,
  ].join("\r\n");
}

/** Where the router keeps the pages: `/etc/haproxy/errors/h12.http`. */
export function errorFileName(e: RouterError): string {
  return `${e.code.toLowerCase()}.http`;
}
