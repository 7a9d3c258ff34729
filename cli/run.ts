import Docker from "dockerode";
import { PassThrough } from "node:stream";
import { dynoHardening } from "../provider/formations/dyno-hardening";
import { parseArgs } from "./args";
import type { CommandIO } from "./check";

/**
 * `dynoform run --app NAME COMMAND…`: a one-off dyno `run.N` with the app's current release
 * (image, config vars, secrets, size limits, network), attached to this terminal and removed when
 * the command ends. Exits with the command's status.
 */
export async function runRun(args: string[], io: CommandIO, docker = new Docker(), opts: { interactive?: boolean } = {}): Promise<number> {
  const { flags, positional } = parseArgs(args, ["app"]);
  const app = flags.app;
  if (typeof app !== "string" || !app || positional.length === 0) {
    io.stderr("usage: dynoform run --app NAME COMMAND [ARGS…]\n");
    return 2;
  }
  const dynos = await docker.listContainers({ all: true, filters: { label: ["dynoform.role=dyno", `dynoform.app=${app}`] } });
  const template = dynos.find((d) => d.Labels["dynoform.process"] === "web") ?? dynos[0];
  if (!template) {
    io.stderr(`dynoform run: app "${app}" has no dynos, so its current release is unknown. Fix: check the name with \`dynoform ps\`, or scale a process type above 0 and run \`pulumi up\`\n`);
    return 1;
  }
  if (template.Labels["dynoform.shield"] === "true") {
    io.stderr(`dynoform run: app "${app}" runs in a Shield Space, where one-off dynos are not allowed\n`);
    return 1;
  }
  const info = await docker.getContainer(template.Id).inspect();
  const others = await docker.listContainers({ all: true, filters: { label: ["dynoform.role=one-off", `dynoform.app=${app}`] } });
  const n = 1 + Math.max(0, ...others.map((o) => Number((o.Labels["dynoform.dyno"] ?? "run.0").split(".")[1])));
  const interactive = opts.interactive ?? Boolean(process.stdin.isTTY);
  const env = (info.Config.Env ?? []).filter((e) => !e.startsWith("PORT=") && !e.startsWith("DYNO=")).concat(`DYNO=run.${n}`);
  // The first network is the app's own; in a Space the dyno is on the space's network too.
  const [network, ...otherNetworks] = Object.keys(info.NetworkSettings.Networks);
  const hardening = await dynoHardening(docker, info.Config.Image);
  const container = await docker.createContainer({
    name: `${app}.run.${n}`,
    Image: info.Config.Image,
    User: hardening.User,
    Cmd: ["/bin/sh", "-c", positional.join(" ")],
    Env: env,
    Labels: { "dynoform.managed": "true", "dynoform.role": "one-off", "dynoform.app": app, "dynoform.dyno": `run.${n}`, "dynoform.release": info.Config.Labels["dynoform.release"] },
    Tty: interactive,
    OpenStdin: interactive,
    StdinOnce: interactive,
    AttachStdin: interactive,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: { ...hardening.HostConfig, Init: true, Memory: info.HostConfig.Memory, MemorySwap: info.HostConfig.MemorySwap, CpuShares: info.HostConfig.CpuShares, PidsLimit: info.HostConfig.PidsLimit, NetworkMode: network },
  });
  try {
    for (const other of otherNetworks) await docker.getNetwork(other).connect({ Container: container.id });
    const stream = await container.attach({ stream: true, stdin: interactive, stdout: true, stderr: true, hijack: true });
    const out = new PassThrough();
    const err = new PassThrough();
    out.on("data", (d: Buffer) => io.stdout(d.toString()));
    err.on("data", (d: Buffer) => io.stderr(d.toString()));
    if (interactive) {
      stream.on("data", (d: Buffer) => io.stdout(d.toString()));
      process.stdin.setRawMode?.(true);
      process.stdin.pipe(stream);
    } else docker.modem.demuxStream(stream, out, err);
    const ended = new Promise((resolve) => stream.on("end", resolve));
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    await Promise.race([ended, new Promise((r) => setTimeout(r, 500))]);
    if (interactive) {
      process.stdin.setRawMode?.(false);
      process.stdin.unpipe(stream);
      process.stdin.pause();
    }
    return StatusCode;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
