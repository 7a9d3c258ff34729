import Docker from "dockerode";
import { PassThrough } from "node:stream";
import { poolEmpty, resetsAt } from "../provider/dyno-manager/eco-hours";
import { readEcoReport } from "../provider/formations/dyno-manager-controller";
import { dynoHardening } from "../provider/formations/dyno-hardening";
import { parseArgs } from "./args";
import type { CommandIO } from "./check";

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
  const dynos = await docker.listContainers({ all: true, filters: { label: ["dynoform.role=dyno", `dynoform.app=${app}`] } });
  const template = dynos.find((d) => d.Labels["dynoform.process"] === "web") ?? dynos[0];
  if (!template) {
    io.stderr(
      `dynoform run: app "${app}" has no dynos, so its current release is unknown. Fix: check the name with \`dynoform ps\`, or scale a process type above 0 and run \`pulumi up\`\n`,
    );
    return 1;
  }
  if (template.Labels["dynoform.shield"] === "true") {
    io.stderr(`dynoform run: app "${app}" runs in a Shield Space, where one-off dynos are not allowed\n`);
    return 1;
  }
  if (template.Labels["dynoform.size"] === "eco") {
    const eco = await readEcoReport(docker);
    if (eco && poolEmpty(eco, eco.poolHours)) {
      io.stderr(
        `dynoform run: app "${app}" runs on Eco dynos, and this engine's Eco dyno hours are used up until ${resetsAt(eco)} (\`dynoform eco\`), so no Eco dyno may run. Fix: wait for the pool to reset, move the app to Basic dynos (size "basic") and run \`pulumi up\`\n`,
      );
      return 1;
    }
  }
  const info = await docker.getContainer(template.Id).inspect();
  const others = await docker.listContainers({ all: true, filters: { label: ["dynoform.role=one-off", `dynoform.app=${app}`] } });
  const n = 1 + Math.max(0, ...others.map((o) => Number((o.Labels["dynoform.dyno"] ?? "run.0").split(".")[1])));
  const interactive = opts.interactive ?? Boolean(process.stdin.isTTY);
  const input = interactive ? process.stdin : opts.stdin === undefined ? process.stdin : opts.stdin;
  const attachStdin = interactive || input !== null;
  const env = (info.Config.Env ?? []).filter((e) => !e.startsWith("PORT=") && !e.startsWith("DYNO=")).concat(`DYNO=run.${n}`);
  // The first network is the app's own; in a Space the dyno is on the space's network too.
  const [network, ...otherNetworks] = Object.keys(info.NetworkSettings.Networks);
  const hardening = await dynoHardening(docker, info.Config.Image);
  const container = await docker.createContainer({
    name: `${app}.run.${n}`,
    Image: info.Config.Image,
    User: hardening.User,
    Cmd: oneOffCommand(positional),
    Env: env,
    Labels: {
      "dynoform.managed": "true",
      "dynoform.role": "one-off",
      "dynoform.app": app,
      "dynoform.dyno": `run.${n}`,
      "dynoform.release": info.Config.Labels["dynoform.release"],
      // An Eco app's one-off dynos draw on the Eco dyno hour pool (the dyno manager counts by size).
      ...(info.Config.Labels["dynoform.size"] ? { "dynoform.size": info.Config.Labels["dynoform.size"] } : {}),
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
      Memory: info.HostConfig.Memory,
      MemorySwap: info.HostConfig.MemorySwap,
      CpuShares: info.HostConfig.CpuShares,
      PidsLimit: info.HostConfig.PidsLimit,
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
