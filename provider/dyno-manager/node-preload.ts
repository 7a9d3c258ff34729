/**
 * The Node.js preload that gives a dyno its language runtime metrics (README "Metrics"): heap in
 * use, time in garbage collection and event-loop delay. A dyno gets it only when its image is a
 * Node.js build and its size's tier includes runtime metrics (provider/formations/preload-decision.ts):
 * the file is put into the dyno's container before it starts (Docker's archive API), never into
 * the image, and `NODE_OPTIONS=--require` loads it. The dyno manager puts it again into the fresh
 * container of a crash restart, so the source lives here, in a module its image carries.
 *
 * What the preload does, in every Node.js process of the dyno (main thread only): every
 * {@link WINDOW_MS} it closes a window (heap used and allocated at its end, GC time and count
 * over it, event-loop delay mean, p99 and max over it, less the monitor's own resolution) and
 * writes the last {@link KEPT_WINDOWS} windows to `<RUNTIME_METRICS_DIR>/<pid>.json` (a temporary
 * file renamed over it, so a reader never sees half a file). Its timer is unref'd (it never keeps
 * a process alive), its writes are asynchronous, and every step is in a try: it cannot crash or
 * stop the app. The dyno manager reads the folder back each sampling round (runtime-reader.ts).
 */
import { tarFiles } from "../docker/tar-archive";

/** Where the preload sits in a dyno: root's, read-only to the app. */
export const PRELOAD_PATH = "/opt/dynoform/runtime-metrics.js";
/** Where each Node.js process of a dyno writes its windows. */
export const RUNTIME_METRICS_DIR = "/tmp/.dynoform-runtime-metrics";
/** One window of runtime metrics: short enough that a 2-minute ring fits in a few kilobytes. */
export const WINDOW_MS = 2000;
/** Windows each file keeps: 2 minutes, several of the manager's 20 s sampling rounds. */
export const KEPT_WINDOWS = 60;
/** `monitorEventLoopDelay`'s timer period; each recorded delay includes it, so it is taken off. */
export const ELD_RESOLUTION_MS = 10;

/** The preload's JavaScript (plain, no dependencies, Node.js 12 and later). */
export function preloadSource(dir = RUNTIME_METRICS_DIR, windowMs = WINDOW_MS): string {
  return `"use strict";
// Dynoform: language runtime metrics for this dyno (heap, GC time, event-loop delay), written to
// ${dir}/<pid>.json for the dyno manager. Never throws, never keeps the process alive.
(function () {
  try {
    if (!require("worker_threads").isMainThread) return;
    var fs = require("fs");
    var perf = require("perf_hooks");
    var DIR = ${JSON.stringify(dir)};
    var WINDOW_MS = ${Number(windowMs)};
    var KEEP = ${KEPT_WINDOWS};
    var RES = ${ELD_RESOLUTION_MS};
    var file = DIR + "/" + process.pid + ".json";
    var tmp = file + ".tmp";
    var eld = perf.monitorEventLoopDelay({ resolution: RES });
    eld.enable();
    var gcMs = 0;
    var gcCount = 0;
    try {
      new perf.PerformanceObserver(function (list) {
        var entries = list.getEntries();
        for (var i = 0; i < entries.length; i++) {
          gcMs += entries[i].duration;
          gcCount++;
        }
      }).observe({ entryTypes: ["gc"] });
    } catch (e) {}
    var windows = [];
    var last = Date.now();
    var writing = false;
    var ready = false;
    var ms = function (ns) {
      return Math.max(0, Math.round((ns / 1e6 - RES) * 100) / 100);
    };
    var timer = setInterval(function () {
      try {
        var now = Date.now();
        var m = process.memoryUsage();
        var n = typeof eld.count === "number" ? eld.count : eld.max > 0 ? 1 : 0;
        windows.push({
          t: now,
          ms: now - last,
          heapUsed: m.heapUsed,
          heapTotal: m.heapTotal,
          gcMs: Math.round(gcMs * 100) / 100,
          gcCount: gcCount,
          eldMean: n > 0 ? ms(eld.mean) : null,
          eldP99: n > 0 ? ms(eld.percentile(99)) : null,
          eldMax: n > 0 ? ms(eld.max) : null
        });
        last = now;
        gcMs = 0;
        gcCount = 0;
        eld.reset();
        if (windows.length > KEEP) windows.splice(0, windows.length - KEEP);
        if (writing) return;
        if (!ready) {
          fs.mkdirSync(DIR, { recursive: true, mode: 511 });
          ready = true;
        }
        writing = true;
        fs.writeFile(tmp, JSON.stringify({ v: 1, pid: process.pid, windows: windows }), function (err) {
          if (err) return (writing = false);
          fs.rename(tmp, file, function () {
            writing = false;
          });
        });
      } catch (e) {
        writing = false;
      }
    }, WINDOW_MS);
    if (timer.unref) timer.unref();
    process.on("exit", function () {
      try {
        fs.unlinkSync(file);
      } catch (e) {}
    });
  } catch (e) {}
})();
`;
}

/** The archive that puts the preload into a container: PUT it at `/`. */
export function preloadArchive(): Buffer {
  const rel = PRELOAD_PATH.replace(/^\//, "");
  const dir = rel.slice(0, rel.lastIndexOf("/"));
  return tarFiles([{ name: rel, data: Buffer.from(preloadSource()), mode: 0o644 }], [dir]);
}
