import Docker from "dockerode";
import { PassThrough } from "node:stream";
import { poolEmpty, resetsAt } from "../provider/dyno-manager/eco-hours";
import { readEcoReport } from "../provider/formations/dyno-manager-controller";
import { dynoHardening } from "../provider/formations/dyno-hardening";
import { parseArgs } from "./args";
import type { CommandIO } from "./check";
import { oneOffEnv, oneOffFromService, type OneOffTemplate, type ServiceForOneOff } from "../provider/engine/swarm-one-off";
import { pullOnManager } from "../provider/engine/manager-pull";
import { swarmDynoServices } from "../provider/engine/cluster-client";
import { SWARM_TASK_LABEL } from "./ps";

/**
 * The one-off dyno's command, as `heroku run` reads it: one word is a shell command line
 * (`dynoform run --app shop 'rake db:migrate && echo done'`); several are an argv passed as given,
 * so spaces, quotes and parentheses inside an argument reach the program unchanged.
 */
export function oneOffCommand(positional: string[]): string[] {
  return positional.length === 1 ? ["/bin/sh", "-c", positional[0]] : [...positional];
}

/** How the one-off dyno meets this process: a terminal (raw, one stream), piped input, or none. */
export interface RunOptions {
  /** A terminal: the dyno gets a TTY. Default: whether stdin is one. */
  interactive?: boolean;
  /** What the dyno reads on stdin when not interactive; `null` for nothing. Default: process.stdin. */
  stdin?: NodeJS.ReadableStream | null;
}

/** The template from the app's dynos on this Docker Engine (web first), if it has any here. */
async function engineTemplate(docker: Docker, app: string): Promise<OneOffTemplate | undefined> {
  // A Swarm task's container on the manager is made from its service: read there (swarmTemplate).
  const dynos = (await docker.listContainers({ all: true, filters: { label: ["dynoform.role=dyno", `dynoform.app=${app}`] } })).filter(
    (c) => !c.Labels[SWARM_TASK_LABEL],
  );
  const dyno = dynos.find((d) => d.Labels["dynoform.process"] === "web") ?? dynos[0];
  if (!dyno) return undefined;
  const info = await docker.getContainer(dyno.Id).inspect();
  const labels = info.Config.Labels ?? {};
  const h = info.HostConfig;
  return {
    image: info.Config.Image,
    env: oneOffEnv(info.Config.Env ?? []),
    release: labels["dynoform.release"],
    size: labels["dynoform.size"],
    shield: labels["dynoform.shield"] === "true",
    limits: { Memory: h.Memory, MemorySwap: h.MemorySwap, CpuShares: h.CpuShares, PidsLimit: h.PidsLimit ?? undefined },
    // The first network is the app's own; in a Space the dyno is on the space's network too.
    networks: Object.keys(info.NetworkSettings.Networks),
  };
}

/**
 * On a Swarm manager (`DOCKER_HOST` pointing at it): the template from the app's web service (or
 * another process type's), its image pulled here from the cluster's registry.
 */
async function swarmTemplate(docker: Docker, app: string): Promise<OneOffTemplate | undefined> {
  const services = await swarmDynoServices(docker, app);
  const service = services.find((s) => s.Spec?.Labels?.["dynoform.process"] === "web") ?? services[0];
  if (!service?.Spec) return undefined;
  const template = oneOffFromService(service.Spec as ServiceForOneOff);
  await pullOnManager(docker, template.image);
  return template;
}

/**
 * `dynoform run --app NAME COMMAND…`: a one-off dyno `run.N` with the app's current release
 * (image, config vars, secrets, size limits, network), attached to this terminal (or fed this
 * process's piped stdin) and removed when the command ends. Exits with the command's status.
 */
export async function runRun(args: string[], io: CommandIO, docker = new Docker(), opts: RunOptions = {}): Promise<number> {
  const { flags, positional } = parseArgs(args, ["app", "a"]);
  const app = flags.app ?? flags.a;
  if (typeof app !== "string" || !app || positional.length === 0) {
    io.stderr("usage: dynoform run --app NAME [--] COMMAND [ARGS…]   (one word runs through sh, several are the argv)\n");
    return 2;
  }
  const template = (await engineTemplate(docker, app)) ?? (await swarmTemplate(docker, app));
  if (!template) {
    io.stderr(
      `dynoform run: app "${app}" has no dynos, so its current release is unknown. Fix: check the name with \`dynoform ps\`, or scale a process type above 0 and run \`pulumi up\`\n`,
    );
    return 1;
  }
  if (template.shield) {
    io.stderr(`dynoform run: app "${app}" runs in a Shield Space, where one-off dynos are not allowed\n`);
    return 1;
  }
  if (template.size === "eco") {
    const eco = await readEcoReport(docker);
    if (eco && poolEmpty(eco, eco.poolHours)) {
      io.stderr(
        `dynoform run: app "${app}" runs on Eco dynos, and this engine's Eco dyno hours are used up until ${resetsAt(eco)} (\`dynoform eco\`), so no Eco dyno may run. Fix: wait for the pool to reset, move the app to Basic dynos (size "basic") and run \`pulumi up\`\n`,
      );
      return 1;
    }
  }
  const others = await docker.listContainers({ all: true, filters: { label: ["dynoform.role=one-off", `dynoform.app=${app}`] } });
  const n = 1 + Math.max(0, ...others.map((o) => Number((o.Labels["dynoform.dyno"] ?? "run.0").split(".")[1])));
  const interactive = opts.interactive ?? Boolean(process.stdin.isTTY);
  const input = interactive ? process.stdin : opts.stdin === undefined ? process.stdin : opts.stdin;
  const attachStdin = interactive || input !== null;
  const [network, ...otherNetworks] = template.networks;
  const hardening = await dynoHardening(docker, template.image);
  const container = await docker.createContainer({
    name: `${app}.run.${n}`,
    Image: template.image,
    User: hardening.User,
    Cmd: oneOffCommand(positional),
    Env: [...template.env, `DYNO=run.${n}`],
    Labels: {
      "dynoform.managed": "true",
      "dynoform.role": "one-off",
      "dynoform.app": app,
      "dynoform.dyno": `run.${n}`,
      "dynoform.release": template.release,
      // An Eco app's one-off dynos draw on the Eco dyno hour pool (the dyno manager counts by size).
      ...(template.size ? { "dynoform.size": template.size } : {}),
    },
    Tty: interactive,
    OpenStdin: attachStdin,
    StdinOnce: attachStdin,
    AttachStdin: attachStdin,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: {
      ...hardening.HostConfig,
      Init: true,
      ...template.limits,
      NetworkMode: network,
    },
  });
  try {
    for (const other of otherNetworks) await docker.getNetwork(other).connect({ Container: container.id });
    const stream = await container.attach({ stream: true, stdin: attachStdin, stdout: true, stderr: true, hijack: true });
    const out = new PassThrough();
    const err = new PassThrough();
    // Decoded across chunks, so a multi-byte character split by the stream stays whole.
    out.setEncoding("utf8").on("data", (d: string) => io.stdout(d));
    err.setEncoding("utf8").on("data", (d: string) => io.stderr(d));
    // A command that exits before reading all its input closes the pipe under us; that is not an error.
    stream.on("error", () => undefined);
    if (interactive) {
      stream.on("data", (d: Buffer) => io.stdout(d.toString()));
      process.stdin.setRawMode?.(true);
      process.stdin.pipe(stream);
    } else {
      docker.modem.demuxStream(stream, out, err);
      // Piped input (`echo hi | dynoform run … cat`): its end closes the dyno's stdin, as with `docker run -i`.
      if (input) input.pipe(stream);
    }
    const ended = new Promise((resolve) => stream.on("end", resolve));
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await Promise.race([ended, new Promise((r) => setTimeout(r, 500))]);
    if (interactive) {
      process.stdin.setRawMode?.(false);
      process.stdin.unpipe(stream);
      process.stdin.pause();
    } else if (input) {
      input.unpipe(stream);
      (input as NodeJS.ReadableStream & { pause?: () => void }).pause?.();
    }
    return StatusCode;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
