/**
 * The little of the tar format the Docker Engine's archive API needs: a few small files into a
 * container (`PUT /containers/{id}/archive`) and a few back out (`GET …/archive`). Written here
 * rather than taken from tar-stream because the dyno manager carries no node_modules. Pure.
 *
 * Reads ustar headers, GNU long names (`L`) and PAX `path` records (`x`), which is what the
 * engine writes; skips everything that is not a regular file.
 */

/** One regular file of an archive; `name` is relative (no leading `/`). */
export interface TarFile {
  name: string;
  data: Buffer;
  /** Permission bits (default 0644). */
  mode?: number;
}

const BLOCK = 512;

function header(name: string, size: number, mode: number, type: "0" | "5"): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar: name "${name}" is longer than 100 bytes`);
  const h = Buffer.alloc(BLOCK);
  const octal = (value: number, offset: number, length: number) =>
    h.write(`${value.toString(8).padStart(length - 1, "0")}\0`, offset, length, "ascii");
  h.write(name, 0, 100, "utf8");
  octal(mode, 100, 8);
  octal(0, 108, 8); // uid: root
  octal(0, 116, 8); // gid: root
  octal(size, 124, 12);
  octal(Math.floor(Date.now() / 1000), 136, 12);
  h.write(type, 156, 1, "ascii");
  h.write("ustar\u000000", 257, 8, "ascii");
  // The checksum is taken with its own field as spaces.
  h.fill(" ", 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return h;
}

const padding = (size: number) => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);

/** An archive of `dirs` (created 0755, parents first) and `files`, owned by root. */
export function tarFiles(files: TarFile[], dirs: string[] = []): Buffer {
  const parts: Buffer[] = [];
  for (const d of dirs) parts.push(header(d.endsWith("/") ? d : `${d}/`, 0, 0o755, "5"));
  for (const f of files) parts.push(header(f.name, f.data.length, f.mode ?? 0o644, "0"), f.data, padding(f.data.length));
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

const field = (h: Buffer, offset: number, length: number) => {
  const raw = h.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString("utf8");
};

/** The regular files of an archive, by name as written (`dir/file`); a truncated archive yields what is whole. */
export function untarFiles(archive: Buffer): TarFile[] {
  const files: TarFile[] = [];
  let longName: string | undefined;
  for (let at = 0; at + BLOCK <= archive.length; ) {
    const h = archive.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    const size = Number.parseInt(field(h, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(h[156] || 48);
    const data = archive.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + size + ((BLOCK - (size % BLOCK)) % BLOCK);
    if (data.length < size) break;
    if (type === "L") {
      longName = data.toString("utf8").replace(/\0+$/, "");
      continue;
    }
    if (type === "x") {
      // PAX records: "<length> <key>=<value>\n".
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString("utf8"));
      if (path) longName = path[1];
      continue;
    }
    const prefix = field(h, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    longName = undefined;
    if (type === "0" || type === "7")
      files.push({ name, data: Buffer.from(data), mode: Number.parseInt(field(h, 100, 8).trim() || "0", 8) });
  }
  return files;
}
