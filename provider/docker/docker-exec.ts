import type Docker from "dockerode";
import { PassThrough } from "node:stream";
import * as tar from "tar-stream";

/** Runs a command inside a running container and returns its exit code and combined output. */
export async function execIn(container: Docker.Container, cmd: string[]): Promise<{ exitCode: number; output: string }> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  let output = "";
  out.on("data", (d: Buffer) => (output += d.toString()));
  container.modem.demuxStream(stream, out, out);
  await new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? -1, output };
}

/** Puts one file into a container without a shell or a volume (Docker's archive API takes a tar). */
export async function putFile(container: Docker.Container, dir: string, name: string, content: string): Promise<void> {
  await putFiles(container, dir, { [name]: content });
}

/**
 * Puts several files at once; a name may hold one folder level (`errors/h10.http`), made as
 * needed. `private` makes them readable by root only (they hold private keys).
 */
export async function putFiles(
  container: Docker.Container,
  dir: string,
  files: Record<string, string>,
  opts: { private?: boolean } = {},
): Promise<void> {
  const pack = tar.pack();
  const folders = new Set(
    Object.keys(files)
      .filter((n) => n.includes("/"))
      .map((n) => n.slice(0, n.lastIndexOf("/"))),
  );
  for (const folder of folders) pack.entry({ name: folder, type: "directory", mode: opts.private ? 0o700 : 0o755 });
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: opts.private ? 0o600 : 0o644 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  await container.putArchive(Buffer.concat(chunks), { path: dir });
}

/** A stream that calls `onLine` with each complete line written to it (a demuxed log, say). */
export function lineSink(onLine: (line: string) => void): PassThrough {
  const sink = new PassThrough();
  let partial = "";
  sink.on("data", (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) onLine(l);
  });
  return sink;
}

/** The last lines a container wrote to stdout and stderr, for error messages. */
export async function lastLogLines(container: Docker.Container, lines = 20): Promise<string> {
  try {
    const buf = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demuxToText(buf);
  } catch {
    return "(no logs: the container is gone)";
  }
}

/** Docker multiplexes stdout/stderr in 8-byte framed chunks when the container has no TTY. */
export function demuxToText(buf: Buffer): string {
  let out = "";
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString();
    i += 8 + len;
  }
  return i === 0 ? buf.toString() : out;
}
