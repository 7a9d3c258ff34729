import { describe, expect, it } from "vitest";
import { DYNO_SIZE_NAMES, DYNO_SIZES, getDynoSize } from "../../sdk/dyno-sizes";

describe("R15 thresholds (heroku-facts §3)", () => {
  it("are 2× the quota for Eco, Basic, Standard and Performance-M/L, 1.2× for the large Performance sizes, 1× in Spaces", () => {
    const factor = (name: string) => getDynoSize(name)!.r15Factor;
    for (const n of ["eco", "basic", "standard-1x", "standard-2x", "performance-m", "performance-l"]) expect(factor(n), n).toBe(2);
    for (const n of ["performance-l-ram", "performance-xl", "performance-2xl"]) expect(factor(n), n).toBe(1.2);
    for (const n of ["private-s", "private-m", "private-l", "shield-s", "shield-m", "shield-l"]) expect(factor(n), n).toBe(1);
  });

  it("are the kernel's limit: Heroku's R15 points (Std-1X 1 GB, Perf-L 28 GB, Perf-XL 74 GB)", () => {
    const gb = (name: string) => getDynoSize(name)!.docker.memoryBytes / 1024 ** 3;
    expect(gb("standard-1x")).toBe(1);
    expect(gb("performance-l")).toBe(28);
    expect(Math.round(gb("performance-xl"))).toBe(74);
    expect(gb("private-s")).toBe(1);
  });
});

describe("dyno size catalog", () => {
  it("has every size Heroku sells, once", () => {
    expect([...DYNO_SIZE_NAMES].sort()).toEqual(
      [
        "eco",
        "basic",
        "standard-1x",
        "standard-2x",
        "performance-m",
        "performance-l",
        "performance-l-ram",
        "performance-xl",
        "performance-2xl",
        "private-s",
        "private-m",
        "private-l",
        "shield-s",
        "shield-m",
        "shield-l",
      ].sort(),
    );
  });

  it("matches Heroku's documented memory and tiers", () => {
    const mem = Object.fromEntries(DYNO_SIZES.map((s) => [s.name, s.memoryMb]));
    expect(mem).toMatchObject({
      eco: 512,
      basic: 512,
      "standard-1x": 512,
      "standard-2x": 1024,
      "performance-m": 2560,
      "performance-l": 14336,
      "performance-2xl": 129024,
      "private-s": 1024,
    });
    expect(getDynoSize("eco")!.features).toMatchObject({ sleeps: true, horizontalScaling: false, metricsRetention: "none" });
    expect(getDynoSize("basic")!.features).toMatchObject({ sleeps: false, metricsRetention: "24h", preboot: false });
    expect(getDynoSize("standard-1x")!.features).toMatchObject({
      preboot: true,
      horizontalScaling: true,
      autoscaling: false,
      thresholdAlerting: true,
    });
    expect(getDynoSize("performance-m")!.features).toMatchObject({ preboot: true, autoscaling: true, dedicatedCompute: true });
    expect(getDynoSize("private-s")!.runtime).toBe("private");
    expect(getDynoSize("shield-l")!.runtime).toBe("shield");
  });

  it("maps a size to Docker limits: memory up to its R15 threshold without swap, CPU weight per compute unit, process limit", () => {
    expect(getDynoSize("standard-2x")!.docker).toEqual({
      memoryBytes: 2048 * 1024 * 1024,
      memoryQuotaBytes: 1024 * 1024 * 1024,
      cpuShares: 2048,
      pidsLimit: 512,
    });
    expect(getDynoSize("nope")).toBeUndefined();
  });
});
