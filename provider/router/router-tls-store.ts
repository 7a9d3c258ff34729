import type Docker from "dockerode";
import * as tar from "tar-stream";
import { portFree } from "../docker/port-probe";
import { docker, isNotFound, ignoreNotFound } from "../docker/docker-client";
import { execIn, putFiles } from "../docker/docker-exec";
import { LABEL } from "../docker/labels";
import { parseTlsFiles, TLS_DIR, type TlsState } from "../tls/router-tls";

export function tlsVolumeName(router: string): string {
  return `${router}-tls`;
}

/** Creates the router's TLS volume (labelled, so "nothing left behind" finds it) unless it exists. */
export async function ensureTlsVolume(router: string): Promise<void> {
  await docker().createVolume({
    Name: tlsVolumeName(router),
    Labels: { [LABEL.managed]: "true", [LABEL.role]: "router-tls", [LABEL.router]: router },
  });
}

export async function removeTlsVolume(router: string): Promise<void> {
  await docker().getVolume(tlsVolumeName(router)).remove().catch(ignoreNotFound);
}

/**
 * The HTTPS port to publish for a new router: the one asked for, unless something on this
 * machine holds it already (another router), so an app never fails for want of HTTPS; a
 * Certificate on that router then says what to change.
 */
export function httpsPortToPublish(port: number | undefined): Promise<number | undefined> {
  if (!port) return Promise.resolve(undefined);
  return portFree(port).then((free) => (free ? port : undefined));
}

/** The mount for the router container's creation. */
export function tlsMount(router: string) {
  return { Type: "volume" as const, Source: tlsVolumeName(router), Target: TLS_DIR };
}

/** Every file of the store (path relative to TLS_DIR → content); empty when the router has none. */
export async function readTlsFiles(router: string): Promise<Record<string, string>> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker().getContainer(router).getArchive({ path: TLS_DIR });
  } catch (e) {
    if (isNotFound(e)) return {};
    throw e;
  }
  // Docker names the entries after the folder asked for: `tls/domains/x.json`.
  const files: Record<string, string> = {};
  const extract = tar.extract();
  await new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, body, next) => {
      const chunks: Buffer[] = [];
      body.on("data", (c: Buffer) => chunks.push(c));
      body.on("end", () => {
        if (header.type === "file") files[header.name.split("/").slice(1).join("/")] = Buffer.concat(chunks).toString();
        next();
      });
      body.resume();
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
    stream.on("error", reject);
    stream.pipe(extract);
  });
  return files;
}

export async function readTlsState(router: string): Promise<TlsState> {
  return parseTlsFiles(await readTlsFiles(router));
}

/** Writes files into the store, readable by root only (they hold private keys). */
export async function writeTlsFiles(router: Docker.Container, files: Record<string, string>): Promise<void> {
  await ensureTlsDir(router);
  await putFiles(router, TLS_DIR, files, { private: true });
}

/** A router made without the volume (no HTTPS port) keeps its store in its own filesystem. */
async function ensureTlsDir(router: Docker.Container): Promise<void> {
  const r = await execIn(router, ["mkdir", "-p", "-m", "700", TLS_DIR]);
  if (r.exitCode !== 0) throw new Error(`could not prepare ${TLS_DIR} in the router: ${r.output}`);
}

export async function removeTlsFiles(router: Docker.Container, names: string[]): Promise<void> {
  if (names.length === 0) return;
  const r = await execIn(router, ["rm", "-f", "--", ...names.map((n) => `${TLS_DIR}/${n}`)]);
  if (r.exitCode !== 0) throw new Error(`could not remove ${names.join(", ")} from the router's TLS store: ${r.output}`);
}

/** The HTTPS port the router publishes on the host, if it does. */
export async function publishedHttpsPort(router: string): Promise<number | undefined> {
  const info = await docker().getContainer(router).inspect();
  const binding = info.HostConfig.PortBindings?.["443/tcp"]?.[0]?.HostPort;
  return binding ? Number(binding) : undefined;
}
