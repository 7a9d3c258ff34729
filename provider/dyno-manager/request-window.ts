/**
 * The router's recent requests per app and process type, in memory in the dyno manager: what
 * threshold alerts and autoscaling read ("p95 over the past hour", "5xx rate over 5 minutes").
 * Requests are folded into slots of `slotMs` (a count, the 5xx count and a latency histogram), so
 * memory is bounded by `horizonMs / slotMs` slots per app whatever the traffic. Pure: the manager
 * feeds it parsed router lines (request-line.ts).
 */
import { addTo, histogramCount, type LatencyHistogram, mergeInto, quantileMs } from "./latency-histogram";

/** What a window of requests says. */
export interface WindowStats {
  /** Requests in the window, WebSockets included. */
  requests: number;
  /** Responses with a 5xx status (router errors included). */
  failed: number;
  /** `failed / requests`, 0 with no requests. */
  failedRate: number;
  /** Response-time percentiles (`service=`), WebSockets left out; undefined with no such request. */
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
}

interface Slot {
  start: number;
  requests: number;
  failed: number;
  latency: LatencyHistogram;
}

/** One request as the window counts it. */
export interface WindowRequest {
  app: string;
  processType: string;
  atMs: number;
  serviceMs: number;
  status: number;
  websocket: boolean;
}

export class RequestWindow {
  private readonly slots = new Map<string, Slot[]>();

  /**
   * @param slotMs width of one slot (10 s by default; tests that scale time pass less)
   * @param horizonMs how far back the window keeps requests (Heroku's autoscaling looks back an hour)
   */
  constructor(
    private readonly slotMs = 10_000,
    private readonly horizonMs = 3_600_000,
  ) {}

  record(r: WindowRequest): void {
    const key = `${r.app}\u0000${r.processType}`;
    const list = this.slots.get(key) ?? [];
    this.slots.set(key, list);
    const start = r.atMs - (r.atMs % this.slotMs);
    // Requests come in time order: the newest slot first, before a search.
    const newest = list[list.length - 1];
    let slot = newest?.start === start ? newest : list.find((s) => s.start === start);
    if (!slot) {
      slot = { start, requests: 0, failed: 0, latency: new Map() };
      list.push(slot);
      list.sort((a, b) => a.start - b.start);
      while (list.length > 0 && list[0].start < start - this.horizonMs) list.shift();
    }
    slot.requests++;
    if (r.status >= 500) slot.failed++;
    if (!r.websocket) addTo(slot.latency, r.serviceMs);
  }

  /** The requests of `[fromMs, toMs)` (slot-aligned: a slot counts when it starts in the range). */
  stats(app: string, processType: string, fromMs: number, toMs: number): WindowStats {
    const list = this.slots.get(`${app}\u0000${processType}`) ?? [];
    const latency: LatencyHistogram = new Map();
    let requests = 0;
    let failed = 0;
    for (const s of list) {
      if (s.start < fromMs - (fromMs % this.slotMs) || s.start >= toMs) continue;
      requests += s.requests;
      failed += s.failed;
      mergeInto(latency, s.latency);
    }
    const timed = histogramCount(latency) > 0;
    return {
      requests,
      failed,
      failedRate: requests > 0 ? failed / requests : 0,
      ...(timed ? { p50Ms: quantileMs(latency, 0.5), p95Ms: quantileMs(latency, 0.95), p99Ms: quantileMs(latency, 0.99) } : {}),
    };
  }

  /** Drops slots older than the horizon at `nowMs`, and apps gone quiet for that long. */
  prune(nowMs: number): void {
    for (const [key, list] of this.slots) {
      const kept = list.filter((s) => s.start >= nowMs - this.horizonMs);
      if (kept.length === 0) this.slots.delete(key);
      else this.slots.set(key, kept);
    }
  }
}
