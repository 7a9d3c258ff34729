import { describe, expect, it } from "vitest";
import * as tarStream from "tar-stream";
import { tarFiles, untarFiles } from "../../provider/docker/tar-archive";

/** An archive made by tar-stream, the library the provider's image builds use: the reader must take it. */
function packed(entries: Array<{ name: string; body?: string; type?: "directory" | "file" }>): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const e of entries) pack.entry({ name: e.name, type: e.type ?? "file" }, e.body ?? "");
  pack.finalize();
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    pack.on("data", (c: Buffer) => chunks.push(c));
    pack.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

/** What tar-stream reads out of an archive this module wrote. */
function extracted(archive: Buffer): Promise<Array<{ name: string; type: string; mode: number; body: string }>> {
  const out: Array<{ name: string; type: string; mode: number; body: string }> = [];
  const ex = tarStream.extract();
  return new Promise((resolve, reject) => {
    ex.on("entry", (h, stream, next) => {
      let body = "";
      stream.on("data", (d: Buffer) => (body += d));
      stream.on("end", () => {
        out.push({ name: h.name, type: h.type ?? "", mode: h.mode ?? 0, body });
        next();
      });
    });
    ex.on("finish", () => resolve(out));
    ex.on("error", reject);
    ex.end(archive);
  });
}

describe("tar archive", () => {
  it("writes archives a standard reader takes: directories first, files with mode and content, owned by root", async () => {
    const archive = tarFiles([{ name: "opt/dynoform/x.js", data: Buffer.from("console.log(1)\n"), mode: 0o644 }], ["opt/dynoform"]);
    expect(archive.length % 512).toBe(0);
    expect(await extracted(archive)).toEqual([
      { name: "opt/dynoform/", type: "directory", mode: 0o755, body: "" },
      { name: "opt/dynoform/x.js", type: "file", mode: 0o644, body: "console.log(1)\n" },
    ]);
  });

  it("reads back what it writes, content of any length", () => {
    const big = Buffer.alloc(1500, "a");
    const files = untarFiles(
      tarFiles(
        [
          { name: "a", data: Buffer.from("") },
          { name: "dir/b.json", data: big },
        ],
        ["dir"],
      ),
    );
    expect(files.map((f) => [f.name, f.data.length, f.mode])).toEqual([
      ["a", 0, 0o644],
      ["dir/b.json", 1500, 0o644],
    ]);
  });

  it("reads another writer's archives: long names (PAX), directories skipped", async () => {
    const long = `${"d".repeat(120)}/1234.json`;
    const files = untarFiles(
      await packed([
        { name: "x", type: "directory" },
        { name: "x/1.json", body: "{}" },
        { name: long, body: "[1]" },
      ]),
    );
    expect(files.map((f) => [f.name, f.data.toString()])).toEqual([
      ["x/1.json", "{}"],
      [long, "[1]"],
    ]);
  });

  it("yields the whole files of a truncated archive and nothing of an empty one", () => {
    const archive = tarFiles([
      { name: "a", data: Buffer.from("1") },
      { name: "b", data: Buffer.alloc(2000) },
    ]);
    expect(untarFiles(archive.subarray(0, 1500)).map((f) => f.name)).toEqual(["a"]);
    expect(untarFiles(Buffer.alloc(0))).toEqual([]);
  });

  it("refuses a name a plain header cannot hold", () => {
    expect(() => tarFiles([{ name: "n".repeat(101), data: Buffer.alloc(0) }])).toThrow(/longer than 100/);
  });
});
