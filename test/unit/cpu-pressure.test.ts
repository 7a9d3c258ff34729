import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CpuPressure, pressurePaths, someTotalUs, waitingShare } from "../../provider/dyno-manager/cpu-pressure";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-psi-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const PSI = "some avg10=4.16 avg60=0.75 avg300=0.15 total=854235\nfull avg10=4.16 avg60=0.75 avg300=0.15 total=852456\n";

describe("cpu pressure", () => {
  it("reads the some-total microseconds of a cpu.pressure file", () => {
    expect(someTotalUs(PSI)).toBe(854235);
    expect(someTotalUs("full avg10=0 total=5\n")).toBeUndefined();
    expect(someTotalUs("")).toBeUndefined();
  });

  it("turns stalled time over an interval into the average waiting share", () => {
    expect(waitingShare({ us: 1_000_000, atMs: 0 }, { us: 1_500_000, atMs: 1000 })).toBe(0.5);
    expect(waitingShare({ us: 0, atMs: 0 }, { us: 3_000_000, atMs: 2000 })).toBe(1.5);
    // A reset counter (a new group under the same id) or no time passed: nothing, not a negative load.
    expect(waitingShare({ us: 9, atMs: 0 }, { us: 1, atMs: 1000 })).toBe(0);
    expect(waitingShare({ us: 0, atMs: 5 }, { us: 10, atMs: 5 })).toBe(0);
  });

  it("looks in the hybrid layout's unified tree and in plain cgroup v2, for both engine cgroup drivers", () => {
    expect(pressurePaths("abc", "/h")).toEqual([
      "/h/unified/docker/abc/cpu.pressure",
      "/h/unified/system.slice/docker-abc.scope/cpu.pressure",
      "/h/docker/abc/cpu.pressure",
      "/h/system.slice/docker-abc.scope/cpu.pressure",
    ]);
  });

  it("reads a container's file where it is, and nothing where the host has none", () => {
    fs.mkdirSync(path.join(dir, "system.slice", "docker-c1.scope"), { recursive: true });
    fs.writeFileSync(path.join(dir, "system.slice", "docker-c1.scope", "cpu.pressure"), PSI);
    const p = new CpuPressure(dir);
    expect(p.read("c1")).toBe(854235);
    expect(p.read("c2")).toBeUndefined();
  });
});
