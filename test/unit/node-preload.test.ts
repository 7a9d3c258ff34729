import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { untarFiles } from "../../provider/docker/tar-archive";
import { PRELOAD_PATH, preloadArchive, preloadSource } from "../../provider/dyno-manager/node-preload";
import { parseRuntimeFile } from "../../provider/dyno-manager/runtime-metrics";

// The preload in a real Node.js process (this machine's), writing 200 ms windows into a temporary folder.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-preload-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(script: string, outDir: string): { stdout: string; files: string[] } {
  const preload = path.join(dir, `preload-${path.basename(outDir)}.js`);
  fs.writeFileSync(preload, preloadSource(outDir, 200));
  const stdout = execFileSync(process.execPath, ["-e", script], {
    env: { ...process.env, NODE_OPTIONS: `--require ${preload}` },
    encoding: "utf8",
  });
  return { stdout, files: fs.existsSync(outDir) && fs.statSync(outDir).isDirectory() ? fs.readdirSync(outDir) : [] };
}

// Allocates, blocks the loop for 300 ms, then reads its own file before it exits (the file goes with the process).
const APP = `
const fs = require("fs");
const keep = [];
let n = 0;
const t = setInterval(() => {
  for (let i = 0; i < 2000; i++) keep.push({ i, s: "x".repeat(50) });
  if (++n === 5) { const until = Date.now() + 300; while (Date.now() < until); }
  if (n === 12) {
    clearInterval(t);
    process.stdout.write(fs.readFileSync(DIR + "/" + process.pid + ".json", "utf8"));
  }
}, 100);
`;

describe("the Node.js runtime metrics preload", () => {
  it("writes windows of heap, GC time and event-loop delay, and removes its file when the process exits", () => {
    const out = path.join(dir, "app");
    const { stdout, files } = run(`const DIR = ${JSON.stringify(out)};${APP}`, out);
    const windows = parseRuntimeFile(stdout);
    expect(windows.length).toBeGreaterThanOrEqual(3);
    expect(windows.every((w) => w.heapUsed > 0 && w.heapTotal >= w.heapUsed && w.ms > 0)).toBe(true);
    // The 300 ms block shows as the longest delay of some window; the resolution is taken off the rest.
    expect(Math.max(...windows.map((w) => w.eldMax ?? 0))).toBeGreaterThanOrEqual(200);
    expect(windows.some((w) => w.eldMean !== null && w.eldMean < 50)).toBe(true);
    expect(windows.reduce((a, w) => a + w.gcCount, 0)).toBeGreaterThan(0);
    expect(files.filter((f) => f.endsWith(".json"))).toEqual([]);
  });

  it("never keeps a process alive nor changes what it prints", () => {
    const out = path.join(dir, "short");
    expect(run('console.log("hello")', out).stdout).toBe("hello\n");
  });

  it("lets the app run when it cannot write (its folder is a file)", () => {
    const blocked = path.join(dir, "blocked");
    fs.writeFileSync(blocked, "not a folder");
    const { stdout } = run('setTimeout(() => console.log("still here"), 700)', blocked);
    expect(stdout).toBe("still here\n");
  });

  it("stays out of worker threads", () => {
    const out = path.join(dir, "workers");
    const script = `const { Worker } = require("worker_threads");
const w = new Worker("setTimeout(() => {}, 600)", { eval: true });
w.on("exit", () => console.log(require("fs").readdirSync(${JSON.stringify(out)}).filter((f) => f.endsWith(".json")).length));`;
    expect(run(script, out).stdout).toBe("1\n");
  });

  it("is put into a container as root's read-only file at its path", () => {
    const [file] = untarFiles(preloadArchive());
    expect(`/${file.name}`).toBe(PRELOAD_PATH);
    expect(file.mode).toBe(0o644);
    expect(file.data.toString()).toBe(preloadSource());
  });
});
