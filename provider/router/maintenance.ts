/**
 * Where an app's maintenance mode lives: a small labelled Docker volume per app in maintenance,
 * `dynoform-maintenance-<app>`, whose labels name the app, its router and the custom page. Docker
 * cannot change labels after creation (the app network's, where hostnames live, are fixed), so
 * the volume's existence is the switch: made to turn it on, removed to turn it off. The router
 * controller observes these volumes like everything else it renders, so `pulumi up`,
 * `dynoform maintenance` and a router re-created from nothing all agree, and `refresh` sees it.
 */
import { docker, ignoreConflictOrNoop, ignoreNotFound } from "../docker/docker-client";
import { LABEL, labelFilter } from "../docker/labels";

/** The volume that, by existing, puts an app in maintenance. */
export const maintenanceVolume = (app: string) => `dynoform-maintenance-${app}`;

/** The custom page's spec (sdk/maintenance.ts), on the volume. */
export const PAGE_LABEL = "dynoform.maintenance-page";

/** Apps in maintenance behind this router, with their page spec ("" for the router's own). */
export async function observeMaintenance(router: string): Promise<Map<string, string>> {
  const { Volumes } = await docker().listVolumes({ filters: labelFilter({ [LABEL.role]: "maintenance", [LABEL.router]: router }) });
  return new Map((Volumes ?? []).map((v) => [v.Labels[LABEL.app], v.Labels[PAGE_LABEL] ?? ""]));
}

/** Whether the app is in maintenance (and with which page), as Docker holds it. */
export async function maintenanceOf(app: string): Promise<{ on: boolean; page: string }> {
  const v = await docker()
    .getVolume(maintenanceVolume(app))
    .inspect()
    .catch(() => undefined);
  return v?.Labels?.[LABEL.role] === "maintenance" ? { on: true, page: v.Labels[PAGE_LABEL] ?? "" } : { on: false, page: "" };
}

/**
 * Turns maintenance on (with this page) or off in Docker; the caller then updates the router.
 * Returns whether anything changed.
 */
export async function setMaintenance(app: string, router: string, on: boolean, page = ""): Promise<boolean> {
  const now = await maintenanceOf(app);
  if (now.on === on && (!on || now.page === page)) return false;
  if (now.on) await docker().getVolume(maintenanceVolume(app)).remove().catch(ignoreNotFound);
  if (on) {
    await docker()
      .createVolume({
        Name: maintenanceVolume(app),
        Labels: { [LABEL.managed]: "true", [LABEL.role]: "maintenance", [LABEL.app]: app, [LABEL.router]: router, [PAGE_LABEL]: page },
      })
      .catch(ignoreConflictOrNoop);
  }
  return true;
}
