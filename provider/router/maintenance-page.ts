/**
 * What the router serves for an app in maintenance mode (Heroku's H80): status 503, the log line
 * `at=info code=H80 desc="Maintenance mode"`, and the router's page, a page file of the
 * program's, or — for a page URL — a page that shows that URL in a frame, as Heroku's router
 * does with `MAINTENANCE_PAGE_URL`. Pure: the router controller renders it from what it observed.
 */
import type { MaintenancePageSpec } from "../../sdk/maintenance";
import { errorFileName, errorResponse, renderErrorFile, ROUTER_ERRORS } from "./router-errors";

export const H80 = ROUTER_ERRORS.H80;

/** The error-page file an app's maintenance mode is served from, relative to the errors folder. */
export function maintenanceFileName(app: string, spec: MaintenancePageSpec): string {
  return spec === "" ? errorFileName(H80) : `maintenance-${app}.http`;
}

const escapeAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The whole HTTP response (HAProxy's errorfile format) for an app in maintenance. */
export function renderMaintenanceFile(spec: MaintenancePageSpec): string {
  if (spec.startsWith("html:")) return errorResponse(H80, spec.slice(5));
  if (spec.startsWith("url:")) {
    const body = [
      "<!DOCTYPE html>",
      `<html><head><meta charset="utf-8"><title>${H80.title}</title>`,
      "<style>html,body,iframe{margin:0;padding:0;border:0;width:100%;height:100%;overflow:hidden}</style></head>",
      `<body><iframe src="${escapeAttr(spec.slice(4))}" title="${H80.title}"></iframe></body></html>`,
      "",
    ].join("\n");
    return errorResponse(H80, body);
  }
  return renderErrorFile(H80);
}
