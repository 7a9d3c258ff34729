/**
 * Maintenance mode's custom page, as the App gives it to the provider: one string that says
 * which page the router serves (Heroku's `MAINTENANCE_PAGE_URL`, or a file of the program's).
 * Pure, so `preview` refuses a page the router could not serve before anything changes.
 */

/**
 * The largest page file the router serves: HAProxy answers from one buffer (16 KB, headers
 * included). Bigger pages, or pages with images and styles, go on a URL.
 */
export const MAINTENANCE_PAGE_MAX_BYTES = 12_000;

/** `""` (the router's own page), `url:<http(s) URL>` or `html:<the file's content>`. */
export type MaintenancePageSpec = string;

/** The spec from the App's arguments (the file already read by the SDK). */
export function maintenancePageSpec(opts: { url?: string; html?: string }): MaintenancePageSpec {
  if (opts.url !== undefined) return `url:${opts.url}`;
  if (opts.html !== undefined) return `html:${opts.html}`;
  return "";
}

/** What is wrong with a spec, or undefined: the reason and the fix, for a preview failure. */
export function maintenancePageProblem(spec: MaintenancePageSpec): string | undefined {
  if (spec === "") return undefined;
  if (spec.startsWith("url:")) {
    const url = spec.slice(4);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol))
      return `maintenancePageUrl "${url}" is not an http or https URL. Fix: give the page's full address, e.g. https://example.com/maintenance.html`;
    if (/["<>]/.test(url)) return `maintenancePageUrl "${url}" contains a quote or angle bracket. Fix: percent-encode them`;
    return undefined;
  }
  if (spec.startsWith("html:")) {
    const bytes = Buffer.byteLength(spec.slice(5));
    if (bytes > MAINTENANCE_PAGE_MAX_BYTES)
      return `the maintenance page file is ${bytes} bytes; the router serves at most ${MAINTENANCE_PAGE_MAX_BYTES}. Fix: make it smaller (images and styles by URL), or put it on a web server and set maintenancePageUrl`;
    return undefined;
  }
  // Anything else is a problem the SDK found at program time (a file it could not read), carried here.
  return spec;
}
