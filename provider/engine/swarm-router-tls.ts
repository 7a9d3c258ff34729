/**
 * The cluster router's TLS side, pure: how the TLS store's files (tls/router-tls.ts) live on a
 * Swarm — one Swarm config per file, the private key of a certificate a Swarm secret of its own
 * (never readable back through the API, never in a config) — which object holds each file now,
 * and what the router service mounts. The shell is swarm-tls-store.ts.
 */
import { createHash } from "node:crypto";
import { TLS_DIR } from "../tls/router-tls";

/** Labels of a TLS-store object: its router and its file (a path relative to TLS_DIR). */
export const TLS_LABEL = { router: "dynoform.tls-router", file: "dynoform.tls-file", removed: "dynoform.tls-removed" } as const;

/** Maintenance mode of an app lives beside the TLS files: `maintenance/<app>`, the page spec as content. */
export const maintenanceFile = (app: string) => `maintenance/${app}`;

/** One config or secret of the store, as listed by the manager. */
export interface TlsObject {
  id: string;
  name: string;
  kind: "config" | "secret";
  file: string;
  createdAt: string;
  removed: boolean;
  /** A config's content; a secret's is never read back. */
  content?: string;
}

const hash = (s: string) => createHash("sha256").update(s).digest("hex").slice(0, 12);

/** The object's name: router, file and content (Swarm objects cannot change, so new content is a new object). */
export function tlsObjectName(router: string, file: string, content: string): string {
  return `${router}-tls-${hash(file)}-${hash(content)}`;
}

/**
 * The store's files as objects to create: a certificate's PEM (chain then key, as one engine
 * stores it) splits into the chain (a config) and the key (a secret), which HAProxy loads from
 * `<cert>.key` beside the chain.
 */
export function splitTlsFiles(files: Record<string, string>): Array<{ file: string; content: string; kind: "config" | "secret" }> {
  const out: Array<{ file: string; content: string; kind: "config" | "secret" }> = [];
  for (const [file, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    if (file.startsWith("certs/") && file.endsWith(".pem")) {
      const at = content.search(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
      if (at < 0) throw new Error(`the certificate ${file} has no private key`);
      out.push({ file, content: `${content.slice(0, at).trim()}\n`, kind: "config" });
      out.push({ file: `${file}.key`, content: `${content.slice(at).trim()}\n`, kind: "secret" });
    } else out.push({ file, content: content === "" ? "on" : content, kind: "config" });
  }
  return out;
}

/**
 * Which object holds each file now: the newest one not marked removed. Everything else is
 * garbage, removed once no service mounts it.
 */
export function currentTlsObjects(objects: TlsObject[]): { current: Map<string, TlsObject>; garbage: TlsObject[] } {
  const current = new Map<string, TlsObject>();
  const sorted = [...objects].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.name.localeCompare(b.name));
  const garbage: TlsObject[] = [];
  for (const o of sorted) {
    if (o.removed || current.has(o.file)) garbage.push(o);
    else current.set(o.file, o);
  }
  return { current, garbage };
}

/** The readable files (configs) of the current objects, for parseTlsFiles and maintenance. */
export function tlsFilesOf(current: Map<string, TlsObject>): Record<string, string> {
  return Object.fromEntries([...current].filter(([, o]) => o.kind === "config").map(([file, o]) => [file, o.content ?? ""]));
}

/** Apps in maintenance and their page spec ("" for the router's own page). */
export function maintenanceOfFiles(files: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, content] of Object.entries(files)) {
    if (!file.startsWith("maintenance/")) continue;
    try {
      out[file.slice("maintenance/".length)] = String((JSON.parse(content) as { page?: string }).page ?? "");
    } catch {
      // not ours
    }
  }
  return out;
}

/** The content of an app's maintenance file. */
export const maintenanceContent = (page: string) => JSON.stringify({ page });

/** The certificate objects the router mounts: each chain and its key under TLS_DIR. */
export function certificateMounts(current: Map<string, TlsObject>): Array<{ target: string; object: TlsObject }> {
  return [...current]
    .filter(([file]) => file.startsWith("certs/"))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, object]) => ({ target: `${TLS_DIR}/${file}`, object }));
}
