import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type Docker from "dockerode";
import { docker, ignoreConflictOrNoop, ignoreNotFound, isConflictOrNoop, isNotFound } from "../docker/docker-client";
import { execIn, putFiles } from "../docker/docker-exec";
import { LABEL, labelFilter } from "../docker/labels";
import {
  CONFIG_DIR,
  ERRORS_DIR,
  renderRouter,
  WAKE_SCRIPT,
  type RenderedRouter,
  type Route,
  type RouterConfigOptions,
} from "./router-config";
import { errorFileName, renderErrorFile, ROUTER_ERRORS } from "./router-errors";
import { ensureRouterImage, routerDir, routerImageTag } from "./router-image";
import { observeMaintenance } from "./maintenance";
import { withRouterLock } from "./router-lock";
import { guardShieldNetwork, unguardShieldNetwork } from "../spaces/shield-guard";
import { admitsLoopback, loopbackSource, publishAddresses, trustedSources } from "../spaces/trusted-sources";
import { SHIELD_TLS_MIN_VERSION, type SpaceRouterRules, spaceRouterLabels, spaceRouterRulesOf } from "../spaces/space-router-rules";
import { ensureTlsVolume, httpsPortToPublish, readTlsState, removeTlsVolume, tlsMount, writeTlsFiles } from "./router-tls-store";

export { routerImageTag };

/**
 * One router: a container and a network of the same name. The Common Runtime's is
 * `dynoform-router`, shared by every app and stack on the engine.
 */
export interface RouterSettings {
  name: string;
  /** Port on 127.0.0.1 where the router serves HTTP. */
  httpPort: number;
  /** Port on 127.0.0.1 where the router serves HTTPS; published (with the TLS store) only when set, at creation. */
  httpsPort?: number;
  /** A Space's own router: kept while the space exists (even with no app), with the space's rules. */
  space?: SpaceRouterRules;
}

/**
 * A space router's rules, read back from its labels. A trusted loopback range admits the one
 * address this machine's connections arrive from (spaces/trusted-sources.ts).
 */
async function spaceOptions(router: Docker.Container, info: Docker.ContainerInspectInfo): Promise<Partial<RouterConfigOptions>> {
  const space = spaceRouterRulesOf(info.Config.Labels);
  if (!space) return {};
  const ranges = space.trustedIpRanges;
  const sources = trustedSources(ranges, admitsLoopback(ranges) ? await loopbackSource(router) : undefined);
  return {
    trustedSources: sources,
    redactQueryStrings: space.shield,
    ...(space.shield ? { tlsMinVersion: SHIELD_TLS_MIN_VERSION } : {}),
  };
}

/**
 * Routes as Docker shows them: every app network carries its hostnames and web port as labels,
 * and the live web dynos are the running web containers under their plain names
 * (`<app>.web.<n>`); a preboot's new dynos take those names only when they are ready.
 */
export async function observeRoutes(router: string): Promise<Array<Route & { network: string }>> {
  const nets = await docker().listNetworks({ filters: labelFilter({ [LABEL.role]: "app-network", [LABEL.router]: router }) });
  const dynos = await docker().listContainers({ all: true, filters: labelFilter({ [LABEL.role]: "dyno", [LABEL.process]: "web" }) });
  const maintenance = await observeMaintenance(router);
  return nets.map((n) => {
    const labels = n.Labels ?? {};
    const app = labels[LABEL.app];
    const web = dynos.filter((d) => d.Labels[LABEL.app] === app);
    const routed = web
      .filter((d) => d.Names.includes(`/${app}.${d.Labels[LABEL.dyno]}`))
      .map((d) => ({
        dyno: d.Labels[LABEL.dyno],
        address: dynoAddress(app, d.Labels[LABEL.dyno], d.Labels[LABEL.release]),
        ip: d.State === "running" ? d.NetworkSettings?.Networks?.[n.Name]?.IPAddress || undefined : undefined,
      }));
    return {
      app,
      hostnames: (labels[LABEL.hostname] ?? "").split(",").filter(Boolean),
      webPort: Number(labels[LABEL.webPort] ?? 5000),
      servers: routed,
      sleeps: web.some((d) => LABEL.sleepAfter in d.Labels),
      ...(maintenance.has(app) ? { maintenance: { page: maintenance.get(app)! } } : {}),
      network: n.Name,
    };
  });
}

/**
 * The DNS name of one dyno of one release on its app network: unique, so during a preboot the
 * router can point `web.1` at the new release's dyno while the old one still runs.
 */
export function dynoAddress(app: string, dyno: string, release: string): string {
  return `${dyno}.${release}.${app}.dyno`;
}

// Every change to a router runs in two locks: this process's queue (one provider process serves
// every dynamic resource of a stack, and apps created in parallel must not interleave), then the
// engine-wide lock on that router (other stacks' providers, here or on other machines). Without
// the second, two `pulumi up`s rendered over each other: routes dropped, configs swapped mid-check.
let queue: Promise<unknown> = Promise.resolve();
function serialized<T>(router: string, what: string, fn: () => Promise<T>): Promise<T> {
  const locked = () => withRouterLock(router, what, fn);
  const next = queue.then(locked, locked);
  queue = next.catch(() => undefined);
  return next;
}

/**
 * Makes the router match the app networks: creates it when the first app appears, joins every
 * app network, writes the config and reloads HAProxy without dropping connections, and removes
 * the router when no app is left.
 */
export function syncRouter(settings: RouterSettings): Promise<string[]> {
  return serialized(settings.name, "a router update", () => syncLocked(settings));
}

/**
 * Runs `change` (on the router container, e.g. a write to its TLS store) and the router's
 * update in one turn, so no concurrent update renders half of it. The router is made if missing.
 */
export function changeRouter<T>(settings: RouterSettings, change: (router: Docker.Container) => Promise<T>): Promise<T> {
  return serialized(settings.name, "a change to the router's TLS store", async () => {
    const result = await change(await ensureRouter(settings));
    await syncLocked(settings);
    return result;
  });
}

/**
 * Takes an app's network out of its router and deletes it, in the same turn as the router's
 * update, so a concurrent update never sees a network that is half gone.
 */
export function removeAppNetwork(settings: RouterSettings, network: string): Promise<void> {
  return serialized(settings.name, `the removal of ${network}`, async () => {
    await docker()
      .getNetwork(network)
      .disconnect({ Container: settings.name, Force: true })
      .catch(() => undefined);
    await unguardShieldNetwork(network);
    await docker().getNetwork(network).remove().catch(ignoreNotFound);
    await syncLocked(settings);
  });
}

/**
 * One router update, as observe → render → apply: what Docker and the TLS store hold is read
 * once, the whole config is rendered from it (pure, router-config.ts), and written and reloaded
 * once. Returns the router's workers from before the reload (see {@link waitForRouterDrain}).
 */
async function syncLocked(settings: RouterSettings): Promise<string[]> {
  const routes = await observeRoutes(settings.name);
  if (routes.length === 0 && !settings.space && !(await isSpaceRouter(settings.name))) {
    await removeRouter(settings.name);
    return [];
  }
  const router = await ensureRouter(settings);
  const reachable = await joinNetworks(router, routes);
  const [info, tls] = await Promise.all([router.inspect(), readTlsState(settings.name)]);
  const rendered = renderRouter({
    routes: reachable,
    tls,
    options: { publicHttpPort: settings.httpPort, publicHttpsPort: publishedHttpsPortOf(info), ...(await spaceOptions(router, info)) },
  });
  return applyConfig(router, rendered);
}

/** The HTTPS port the router publishes on the host, if it does. */
function publishedHttpsPortOf(info: Docker.ContainerInspectInfo): number | undefined {
  const binding = info.HostConfig.PortBindings?.["443/tcp"]?.[0]?.HostPort;
  return binding ? Number(binding) : undefined;
}

/**
 * Joins the router to every app network it is not on yet; returns the routes it can reach.
 * Idempotent: a network joined meanwhile (Docker says the endpoint exists) counts as joined.
 */
async function joinNetworks<R extends Route & { network: string }>(router: Docker.Container, routes: R[]): Promise<R[]> {
  const info = await router.inspect();
  const joined = new Set(Object.keys(info.NetworkSettings.Networks));
  const reachable: R[] = [];
  for (const r of routes) {
    if (!joined.has(r.network)) {
      const ok = await docker()
        .getNetwork(r.network)
        .connect({ Container: info.Id })
        .then(
          () => true,
          (e) => {
            if (isNotFound(e)) return false; // removed meanwhile by another stack: no route
            if (isConflictOrNoop(e) || /already exists/.test(String((e as Error).message))) return true;
            throw e;
          },
        );
      if (!ok) continue;
    }
    reachable.push(r);
  }
  return reachable;
}

/** HAProxy's alerts and warnings from `haproxy -c` (its version notices say nothing about the config). */
export function haproxyCheckReason(output: string): string {
  const lines = output
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const said = lines.filter((l) => !/^\[NOTICE\]/.test(l));
  return (said.length > 0 ? said : lines).join("\n");
}

/** Host PIDs of the router's HAProxy workers (every haproxy process but the master). */
async function routerWorkers(router: Docker.Container): Promise<string[]> {
  const [info, top] = await Promise.all([router.inspect(), router.top()]);
  const pid = top.Titles.indexOf("PID");
  const cmd = top.Titles.indexOf("CMD");
  return top.Processes.filter((p: string[]) => /haproxy/.test(p[cmd] ?? "") && Number(p[pid]) !== info.State.Pid).map(
    (p: string[]) => p[pid],
  );
}

/**
 * After a reload the previous HAProxy workers finish the requests they hold and exit; waits for
 * those (at most `timeoutMs`), so a preboot stops the old dynos only once nothing routes to them.
 */
export async function waitForRouterDrain(settings: RouterSettings, previousWorkers: string[], timeoutMs = 35_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const now = await routerWorkers(docker().getContainer(settings.name)).catch(() => [] as string[]);
    if (!previousWorkers.some((p) => now.includes(p))) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

/**
 * Installs the rendered config and reloads; returns the workers that served before, now
 * draining. The new config goes to a file of its own name, is checked, then renamed over the
 * live one, so a write that fails halfway leaves the old config serving.
 */
export async function applyConfig(router: Docker.Container, rendered: RenderedRouter): Promise<string[]> {
  const pages = Object.fromEntries(
    [...Object.values(ROUTER_ERRORS).map((e) => [errorFileName(e), renderErrorFile(e)]), ...Object.entries(rendered.pages ?? {})].map(
      ([name, content]) => [`${path.basename(ERRORS_DIR)}/${name}`, content],
    ),
  );
  const wake = fs.readFileSync(path.join(routerDir(), "wake.lua"), "utf8");
  const next = `haproxy.cfg.${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  const maps = rendered.maps ?? {};
  await putFiles(router, CONFIG_DIR, { ...pages, ...maps, [path.basename(WAKE_SCRIPT)]: wake, [next]: rendered.config });
  if (Object.keys(rendered.tlsFiles).length > 0) await writeTlsFiles(router, rendered.tlsFiles);
  // Checked and installed in one exec (each is a round trip through dockerd): a config HAProxy
  // rejects is removed and never installed; exit 97 says the check passed and the rename failed.
  // Host maps the installed config does not name are left from earlier configs: removed.
  const install = await execIn(router, [
    "sh",
    "-c",
    'haproxy -c -f "$0" || { rc=$?; rm -f "$0"; exit $rc; }; mv -f "$0" "$1" || exit 97; ' +
      'for f in "$2"/hosts-*.map; do case " $3 " in *" $(basename "$f") "*) ;; *) rm -f "$f" ;; esac; done',
    `${CONFIG_DIR}/${next}`,
    `${CONFIG_DIR}/haproxy.cfg`,
    CONFIG_DIR,
    Object.keys(maps).join(" "),
  ]);
  if (install.exitCode === 97) throw new Error(`could not install the router configuration: ${install.output}`);
  if (install.exitCode !== 0) {
    const reason = haproxyCheckReason(install.output) || `haproxy -c exited ${install.exitCode} and said nothing`;
    throw new Error(`the router rejected its new configuration (a Dynoform bug; the old one keeps serving). HAProxy said:\n${reason}`);
  }
  const previous = await routerWorkers(router).catch(() => [] as string[]);
  // SIGUSR2 to HAProxy's master: it re-reads the file and starts a new worker; the old worker
  // finishes the requests it holds, so no connection is dropped. A router that stopped meanwhile
  // (killed by hand) reads the new file when it starts.
  await router.kill({ signal: "SIGUSR2" }).catch(async (e) => {
    if (!isConflictOrNoop(e)) throw e;
    await router.start().catch(ignoreConflictOrNoop);
  });
  return previous;
}

async function ensureRouter(settings: RouterSettings): Promise<Docker.Container> {
  const container = docker().getContainer(settings.name);
  const image = routerImageTag();
  try {
    const info = await container.inspect();
    if (info.Config.Image !== image) return await upgradeRouter(info, image);
    if (!info.State.Running) {
      await container.start().catch(ignoreConflictOrNoop);
    }
    return container;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  await ensureRouterImage(image);
  await ensureNetwork(settings.name, { [LABEL.managed]: "true", [LABEL.role]: "router-network" });
  const httpsPort = await httpsPortToPublish(settings.httpsPort);
  if (httpsPort) await ensureTlsVolume(settings.name);
  try {
    await docker().createContainer({
      name: settings.name,
      Image: image,
      Labels: { [LABEL.managed]: "true", [LABEL.role]: "router", ...spaceRouterLabels(settings.space) },
      ExposedPorts: { "80/tcp": {}, ...(httpsPort ? { "443/tcp": {} } : {}) },
      HostConfig: {
        // Loopback only: the router is this machine's entry point, never exposed by accident
        // (unless named in DYNOFORM_ROUTER_PUBLISH_ADDRESSES, see spaces/trusted-sources.ts).
        PortBindings: {
          "80/tcp": publishAddresses().map((HostIp) => ({ HostIp, HostPort: String(settings.httpPort) })),
          ...(httpsPort ? { "443/tcp": publishAddresses().map((HostIp) => ({ HostIp, HostPort: String(httpsPort) })) } : {}),
        },
        // Certificates and domain claims outlive a re-created router container.
        ...(httpsPort ? { Mounts: [tlsMount(settings.name)] } : {}),
        RestartPolicy: { Name: "always" },
        NetworkMode: settings.name,
      },
    });
  } catch (e) {
    if (!isConflictOrNoop(e)) throw e;
  }
  await container.start().catch(ignoreConflictOrNoop);
  return container;
}

/**
 * A router made by an older Dynoform (another image) is made again from the current image with
 * the same name, labels, ports and TLS store; the caller then renders its config and joins its
 * app networks again. Requests in flight during the swap are lost: it happens once per upgrade.
 */
async function upgradeRouter(info: Docker.ContainerInspectInfo, image: string): Promise<Docker.Container> {
  await ensureRouterImage(image);
  const name = info.Name.replace(/^\//, "");
  await docker().getContainer(info.Id).remove({ force: true });
  const { PortBindings, Mounts, RestartPolicy, NetworkMode } = info.HostConfig as Docker.HostConfig;
  const created = await docker().createContainer({
    name,
    Image: image,
    Labels: info.Config.Labels,
    ExposedPorts: info.Config.ExposedPorts,
    HostConfig: { PortBindings, Mounts, RestartPolicy, NetworkMode },
  });
  await created.start();
  return created;
}

async function removeRouter(name: string): Promise<void> {
  await docker().getContainer(name).remove({ force: true }).catch(ignoreNotFound);
  await docker().getNetwork(name).remove().catch(ignoreNotFound);
  await removeTlsVolume(name);
}

/**
 * The settings of a router that exists, read back from its container (for the `dynoform`
 * command, which has no program to read them from): its name and published ports. A space's
 * router keeps its rules in its labels, which every update reads.
 */
export async function routerSettingsOf(name: string): Promise<RouterSettings> {
  const info = await docker()
    .getContainer(name)
    .inspect()
    .catch((e) => {
      if (isNotFound(e))
        throw new Error(`the router ${name} does not exist, so nothing serves the app. Fix: run \`pulumi up\` for the app's stack`);
      throw e;
    });
  const port = (p: string) => info.HostConfig.PortBindings?.[p]?.[0]?.HostPort;
  const labels = info.Config.Labels ?? {};
  return {
    name,
    httpPort: Number(port("80/tcp") ?? 0),
    ...(port("443/tcp") ? { httpsPort: Number(port("443/tcp")) } : {}),
    ...(labels[LABEL.space]
      ? {
          space: {
            name: labels[LABEL.space],
            shield: labels[LABEL.shield] === "true",
            trustedIpRanges: (labels[LABEL.trustedRanges] ?? "").split(",").filter(Boolean),
          },
        }
      : {}),
  };
}

/** What `dynoform ps` and drift checks say about a router: its container runs, is stopped, or is gone. */
export type RouterStatus = "running" | "stopped" | "missing";

/** Whether the router's container runs (a restarting one counts as stopped: it serves nothing). */
export async function routerStatus(router: string): Promise<RouterStatus> {
  try {
    const info = await docker().getContainer(router).inspect();
    return info.State.Running && !info.State.Restarting && !info.State.Paused ? "running" : "stopped";
  } catch (e) {
    if (isNotFound(e)) return "missing";
    throw e;
  }
}

/** Whether the router's container exists (running or not). */
export async function routerExists(router: string): Promise<boolean> {
  return docker()
    .getContainer(router)
    .inspect()
    .then(
      () => true,
      (e) => {
        if (isNotFound(e)) return false;
        throw e;
      },
    );
}

async function isSpaceRouter(name: string): Promise<boolean> {
  const info = await docker()
    .getContainer(name)
    .inspect()
    .catch(() => undefined);
  return Boolean(info?.Config.Labels?.[LABEL.space]);
}

/**
 * Makes a space's router (or, when its rules changed, makes it again: the TLS store stays) and
 * renders its config. A space router stays while its space exists, with or without apps.
 */
export function ensureSpaceRouter(settings: RouterSettings & { space: NonNullable<RouterSettings["space"]> }): Promise<void> {
  return serialized(settings.name, `space ${settings.space.name}'s router`, async () => {
    const info = await docker()
      .getContainer(settings.name)
      .inspect()
      .catch(() => undefined);
    const want = spaceRouterLabels(settings.space);
    if (info && Object.entries(want).some(([k, v]) => info.Config.Labels?.[k] !== v)) {
      await docker().getContainer(settings.name).remove({ force: true });
    }
    await syncLocked(settings);
  });
}

/** Removes a space's router with its network and TLS store. */
export function removeSpaceRouter(name: string): Promise<void> {
  return serialized(name, "the removal of a space's router", () => removeRouter(name));
}

/** Creates a bridge network unless one with that name exists. */
export async function ensureNetwork(name: string, labels: Record<string, string>, opts: { internal?: boolean } = {}): Promise<void> {
  const existing = await docker().listNetworks({ filters: { name: [name] } });
  if (existing.some((n) => n.Name === name)) return;
  // An internal network has no route out of the engine: how a Shield space keeps dynos offline.
  await docker()
    .createNetwork({ Name: name, Driver: "bridge", Labels: labels, CheckDuplicate: true, Internal: opts.internal === true })
    .then(() => (opts.internal ? guardShieldNetwork(name) : undefined))
    .catch((e: Error) => {
      if (!/address pool/.test(e.message)) throw e;
      throw new Error(
        `could not create network ${name}: the Docker Engine has no address range left (${e.message}). Each app has a network of its own, and Docker's default pools hold about 30. Fix: add "default-address-pools": [{ "base": "10.200.0.0/13", "size": 24 }] to /etc/docker/daemon.json and restart dockerd (scripts/setup.sh does this on an engine it sets up)`,
      );
    });
}
