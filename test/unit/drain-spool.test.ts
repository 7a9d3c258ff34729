import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { segments, spoolLimits, SpoolReader, SpoolWriter } from "../../provider/dyno-manager/drain-spool";

const dirs: string[] = [];
const spool = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "drain-spool-"));
  dirs.push(d);
  return path.join(d, "d.1");
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const line = (i: number) => ({ t: `2026-01-01T12:00:${String(i % 60).padStart(2, "0")}.000000000Z`, s: "app[web.1]", m: `line ${i}` });
const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => line(from + i));
/** Reads and commits everything there is, batch by batch. */
function readAll(reader: SpoolReader, max = 7) {
  const got: string[] = [];
  const overflows: Array<{ count: number; since: string }> = [];
  for (let b = reader.read(max); b; b = reader.read(max)) {
    got.push(...b.lines.map((l) => l.m));
    if (b.overflow) overflows.push(b.overflow);
    b.commit();
  }
  return { got, overflows };
}

describe("a drain's spool", () => {
  it("hands over every line once, in order, across segments and batches", () => {
    const dir = spool();
    const w = new SpoolWriter(dir, { maxLines: 1000, maxBytes: 1e6, segmentLines: 10 });
    w.append(lines(0, 25));
    const r = new SpoolReader(dir);
    expect(readAll(r).got).toEqual(lines(0, 25).map((l) => l.m));
    w.append(lines(25, 3));
    expect(readAll(r).got).toEqual(["line 25", "line 26", "line 27"]);
    // Delivered segments are gone; the one being written stays.
    expect(segments(dir).length).toBe(1);
  });

  it("resumes where the last delivery ended after a restart of either side, and a batch not committed comes again", () => {
    const dir = spool();
    new SpoolWriter(dir, { maxLines: 1000, maxBytes: 1e6, segmentLines: 4 }).append(lines(0, 10));
    const first = new SpoolReader(dir);
    first.read(3)!.commit();
    const retried = first.read(3)!;
    expect(retried.lines.map((l) => l.m)).toEqual(["line 3", "line 4", "line 5"]);
    // Not committed (the receiver failed): a new reader (forwarder restart) starts at line 3 again, with the same frame id.
    const again = new SpoolReader(dir).read(3)!;
    expect(again.lines.map((l) => l.m)).toEqual(["line 3", "line 4", "line 5"]);
    expect(again.id).toBe(retried.id);
    new SpoolWriter(dir, { maxLines: 1000, maxBytes: 1e6, segmentLines: 4 }).append(lines(10, 2));
    expect(readAll(new SpoolReader(dir)).got).toEqual(lines(3, 9).map((l) => l.m));
  });

  it("drops the oldest lines beyond its limit and reports how many, since when, once", () => {
    const dir = spool();
    const w = new SpoolWriter(dir, { maxLines: 20, maxBytes: 1e6, segmentLines: 5 });
    const r = new SpoolReader(dir);
    for (let i = 0; i < 50; i += 5) w.append(lines(i, 5));
    const { got, overflows } = readAll(r, 100);
    // 50 written, at most 20 kept: the 30 oldest went, whole segments at a time.
    expect(got).toEqual(lines(30, 20).map((l) => l.m));
    expect(overflows).toEqual([{ count: 30, since: line(0).t }]);
    w.append(lines(50, 2));
    expect(readAll(r)).toEqual({ got: ["line 50", "line 51"], overflows: [] });
  });

  it("keeps 10,000 lines by default; a smaller buffer (tests) drops in tenths", () => {
    expect(spoolLimits(undefined)).toMatchObject({ maxLines: 10_000, maxBytes: 8 * 1024 * 1024, segmentLines: 500 });
    expect(spoolLimits(200)).toMatchObject({ maxLines: 200, segmentLines: 20 });
  });
});
