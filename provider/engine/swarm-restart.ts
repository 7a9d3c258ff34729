/**
 * `dynoform restart` with `DOCKER_HOST` pointing at a Swarm manager: each chosen process type's
 * service gets a forced update (swarm-restart-plan.ts), watched until Swarm reports it done.
 */
import type Docker from "dockerode";
import { LABEL } from "../docker/labels";
import { swarmDynoServices } from "./cluster-client";
import { restartTargets, type RestartSelection } from "../formations/restart-plan";
import { restartOutcome, restartSpec, type RestartableSpec } from "./swarm-restart-plan";

interface ServiceInfo {
  ID: string;
  Version: { Index: number };
  Spec: RestartableSpec & { Name: string };
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string };
}

/** The app's dyno services on the manager, or none when `docker` is not a Swarm manager. */
export async function swarmServicesOf(d: Docker, app: string): Promise<ServiceInfo[]> {
  return (await swarmDynoServices(d, app)) as unknown as ServiceInfo[];
}

/** Restarts the chosen dynos of the app's services; returns the dynos, in the order restarted. */
export async function restartSwarmDynos(
  d: Docker,
  app: string,
  services: ServiceInfo[],
  sel: RestartSelection,
  report: (line: string) => void,
): Promise<string[]> {
  if (sel.dyno)
    throw new Error(
      `restarting one dyno (${sel.dyno}) is not done on a Swarm: the manager's API replaces a service's dynos, not one of them. Fix: restart its process type (\`--type ${sel.dyno.split(".")[0]}\`), whose web dynos go one at a time without dropping a request`,
    );
  const typeOf = (s: ServiceInfo) => s.Spec.Labels?.[LABEL.process] ?? "";
  const tasks = await d.listTasks({ filters: { "desired-state": ["running"] } });
  const candidates = services.flatMap((s) =>
    tasks.filter((t) => t.ServiceID === s.ID).map((t) => ({ id: s.ID, dyno: `${typeOf(s)}.${t.Slot}`, processType: typeOf(s) })),
  );
  const plan = restartTargets(app, candidates, sel);
  if ("error" in plan) throw new Error(plan.error);
  const chosen = services.filter((s) => [...plan.web, ...plan.others].some((c) => c.id === s.ID));
  await Promise.all(chosen.map((s) => restartService(d, s, typeOf(s), report)));
  return [...plan.web, ...plan.others].map((c) => c.dyno);
}

async function restartService(d: Docker, s: ServiceInfo, type: string, report: (line: string) => void): Promise<void> {
  const service = d.getService(s.ID);
  report(
    type === "web"
      ? `${s.Spec.Name}: restarting the web dynos one at a time (each new dyno accepts connections before the old one gets SIGTERM)`
      : `${s.Spec.Name}: restarting the ${type} dynos (SIGTERM, 30 s, SIGKILL, then fresh containers)`,
  );
  const before = s.UpdateStatus?.StartedAt;
  await service.update({ version: s.Version.Index, ...restartSpec(s.Spec, type) });
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = (await service.inspect()) as ServiceInfo;
    const outcome = now.UpdateStatus?.StartedAt === before ? "going" : restartOutcome(now.UpdateStatus);
    if (outcome === "done") {
      // The formation's own update settings (preboot or not) back; no dyno restarts for that.
      await service.update({ version: now.Version.Index, ...now.Spec, UpdateConfig: s.Spec.UpdateConfig });
      report(`${s.Spec.Name}: restarted`);
      return;
    }
    if (outcome !== "going" || Date.now() > deadline)
      throw new Error(
        `the ${type} dynos of service ${s.Spec.Name} did not all come back: ${outcome === "going" ? "still updating after 15 min" : outcome.error}. Fix: see \`docker service ps ${s.Spec.Name} --no-trunc\` on the manager; \`docker service update --rollback ${s.Spec.Name}\` puts the previous dynos back`,
      );
  }
}
