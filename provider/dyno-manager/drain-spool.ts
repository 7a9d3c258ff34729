/**
 * A drain's buffer, on the drains volume (`spool/<token>/`): lines the dyno manager collected and
 * the drain forwarder has not delivered yet, as JSON lines in numbered segment files. The manager
 * only appends and drops; the forwarder only reads and removes what it delivered. So a drain that
 * is down, and a forwarder or manager restart, lose nothing within the limits.
 *
 * Beyond the limits the oldest segment goes (a whole segment at a time), and `dropped.json`
 * counts what went and since when; the forwarder reports it to the drain as Heroku's L10 line.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { DrainLine } from "./syslog-frame";

/** How much one drain buffers. */
export interface SpoolLimits {
  maxLines: number;
  maxBytes: number;
  /** Lines per segment: the unit in which the oldest lines are dropped. */
  segmentLines: number;
}

/** 10,000 lines or 8 MB per drain, whichever is reached first; dropped 500 lines at a time. */
export const DEFAULT_SPOOL_LIMITS: SpoolLimits = { maxLines: 10_000, maxBytes: 8 * 1024 * 1024, segmentLines: 500 };

/** Limits for `maxLines` lines (DYNOFORM_DRAIN_BUFFER_LINES; tests make it small). */
export function spoolLimits(maxLines: number | undefined): SpoolLimits {
  if (!maxLines || !Number.isFinite(maxLines) || maxLines < 10) return DEFAULT_SPOOL_LIMITS;
  return { ...DEFAULT_SPOOL_LIMITS, maxLines, segmentLines: Math.min(500, Math.max(1, Math.floor(maxLines / 10))) };
}

/** What the manager dropped so far (cumulative); `since` is the stamp of the first line dropped. */
export interface DroppedLines {
  count: number;
  since: string;
  /** Each overflow: the count before it and its first line's stamp, so a report says "since" rightly. */
  marks: Array<{ before: number; since: string }>;
}

const SEGMENT = /^(\d{12})\.log$/;
const segmentName = (seq: number) => `${String(seq).padStart(12, "0")}.log`;

/** The segments in the spool, oldest first. */
export function segments(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => SEGMENT.exec(n)?.[1])
    .filter((s): s is string => s !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(value), { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

export const loadDropped = (dir: string): DroppedLines =>
  readJson<DroppedLines>(path.join(dir, "dropped.json")) ?? { count: 0, since: "", marks: [] };

/** The manager's side: appends lines, keeps the spool within its limits. */
export class SpoolWriter {
  /** Lines and bytes of the segments this writer knows (others are counted once when first seen). */
  private readonly sizes = new Map<number, { lines: number; bytes: number; first: string }>();
  /** The segment being appended to; a new writer never appends to an older writer's segment. */
  private current = -1;

  constructor(
    readonly dir: string,
    private readonly limits: SpoolLimits = DEFAULT_SPOOL_LIMITS,
  ) {}

  append(lines: DrainLine[]): void {
    if (lines.length === 0) return;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const existing = segments(this.dir);
    if (this.current < 0) this.current = (existing.at(-1) ?? 0) + 1;
    for (const seq of existing) if (!this.sizes.has(seq)) this.sizes.set(seq, this.measure(seq));
    const byFile = new Map<number, string[]>();
    for (const l of lines) {
      let size = this.sizes.get(this.current);
      if (size && size.lines >= this.limits.segmentLines) {
        this.current++;
        size = undefined;
      }
      const text = `${JSON.stringify(l)}\n`;
      if (!size) this.sizes.set(this.current, (size = { lines: 0, bytes: 0, first: l.t }));
      size.lines++;
      size.bytes += Buffer.byteLength(text);
      byFile.set(this.current, [...(byFile.get(this.current) ?? []), text]);
    }
    for (const [seq, texts] of byFile) fs.appendFileSync(path.join(this.dir, segmentName(seq)), texts.join(""), { mode: 0o600 });
    this.enforce();
  }

  /** Drops the oldest segments while the spool is over its limits (never the one being written). */
  private enforce(): void {
    const live = new Set(segments(this.dir));
    for (const seq of [...this.sizes.keys()]) if (!live.has(seq)) this.sizes.delete(seq);
    const ordered = [...this.sizes.keys()].sort((a, b) => a - b);
    let lines = ordered.reduce((n, s) => n + (this.sizes.get(s)?.lines ?? 0), 0);
    let bytes = ordered.reduce((n, s) => n + (this.sizes.get(s)?.bytes ?? 0), 0);
    let dropped: DroppedLines | undefined;
    while ((lines > this.limits.maxLines || bytes > this.limits.maxBytes) && ordered.length > 1) {
      const seq = ordered.shift()!;
      const size = this.sizes.get(seq)!;
      fs.rmSync(path.join(this.dir, segmentName(seq)), { force: true });
      this.sizes.delete(seq);
      lines -= size.lines;
      bytes -= size.bytes;
      dropped ??= loadDropped(this.dir);
      dropped.marks = [...dropped.marks, { before: dropped.count, since: size.first }].slice(-100);
      dropped.since ||= size.first;
      dropped.count += size.lines;
    }
    if (dropped) writeJson(path.join(this.dir, "dropped.json"), dropped);
  }

  private measure(seq: number): { lines: number; bytes: number; first: string } {
    try {
      const text = fs.readFileSync(path.join(this.dir, segmentName(seq)), "utf8");
      const first = text.slice(0, text.indexOf("\n"));
      return { lines: text.split("\n").length - 1, bytes: Buffer.byteLength(text), first: (readJsonText(first)?.t as string) ?? "" };
    } catch {
      return { lines: 0, bytes: 0, first: "" };
    }
  }
}

function readJsonText(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Where the forwarder is: a segment and a byte offset in it, and how many dropped lines it reported. */
export interface SpoolCursor {
  seq: number;
  offset: number;
  reported: number;
}

/** A batch read from the spool; `commit` marks it delivered. */
export interface SpoolBatch {
  lines: DrainLine[];
  /** Dropped lines not reported yet (the L10 line to send before these), if any. */
  overflow?: { count: number; since: string };
  /** Stable across retries of the same batch (Heroku's `Logplex-Frame-Id`). */
  id: string;
  commit(): void;
}

/** The forwarder's side: reads in order from where the last delivery ended. */
export class SpoolReader {
  private cursor: SpoolCursor;

  constructor(readonly dir: string) {
    this.cursor = readJson<SpoolCursor>(path.join(dir, "cursor.json")) ?? { seq: 0, offset: 0, reported: 0 };
  }

  /** Up to `max` lines (fewer past `maxBytes`), or undefined when nothing waits. */
  read(max: number, maxBytes = 1024 * 1024): SpoolBatch | undefined {
    const segs = segments(this.dir);
    const dropped = loadDropped(this.dir);
    const overflow = dropped.count > this.cursor.reported ? this.unreported(dropped) : undefined;
    let { seq, offset } = this.cursor;
    // The segment read last was dropped (or never existed): go on from the oldest one left.
    if (!segs.includes(seq)) [seq, offset] = [segs.find((s) => s > seq) ?? seq, 0];
    const lines: DrainLine[] = [];
    let bytes = 0;
    let reading = seq;
    let at = offset;
    for (const s of segs.filter((x) => x >= seq)) {
      if (s !== reading) [reading, at] = [s, 0];
      const text = readFrom(path.join(this.dir, segmentName(s)), at);
      let pos = 0;
      for (;;) {
        const nl = text.indexOf("\n", pos);
        if (nl < 0 || lines.length >= max || bytes >= maxBytes) break;
        const raw = text.slice(pos, nl);
        const l = readJsonText(raw) as DrainLine | undefined;
        if (l && typeof l.m === "string") lines.push(l);
        bytes += Buffer.byteLength(raw) + 1;
        pos = nl + 1;
      }
      at += Buffer.byteLength(text.slice(0, pos));
      // Full, or this segment read to its end: a newer one (if any) is complete up to its last line.
      if (lines.length >= max || bytes >= maxBytes) break;
    }
    if (lines.length === 0 && !overflow) {
      this.removeBefore(reading, segs);
      return undefined;
    }
    const next: SpoolCursor = { seq: reading, offset: at, reported: dropped.count };
    return {
      lines,
      overflow,
      id: `${seq}-${offset}-${this.cursor.reported}`,
      commit: () => {
        this.cursor = next;
        writeJson(path.join(this.dir, "cursor.json"), next);
        this.removeBefore(next.seq, segments(this.dir));
      },
    };
  }

  /** Lines dropped since the last report, and the stamp of the first of them. */
  private unreported(d: DroppedLines): { count: number; since: string } {
    const mark = d.marks.find((m) => m.before >= this.cursor.reported) ?? d.marks.at(-1);
    return { count: d.count - this.cursor.reported, since: mark?.since || d.since };
  }

  /** Delivered segments go; the one in reading, and newer ones, stay. */
  private removeBefore(seq: number, segs: number[]): void {
    for (const s of segs) if (s < seq) fs.rmSync(path.join(this.dir, segmentName(s)), { force: true });
  }
}

function readFrom(file: string, offset: number): string {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return "";
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size <= offset) return "";
    const buf = Buffer.alloc(size - offset);
    fs.readSync(fd, buf, 0, buf.length, offset);
    // Up to the last whole line: a line being appended right now is read next time.
    return buf.subarray(0, buf.lastIndexOf(10) + 1).toString("utf8");
  } finally {
    fs.closeSync(fd);
  }
}
