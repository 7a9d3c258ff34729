import { describe, expect, it } from "vitest";
import { DYNO_SIZES } from "../../sdk/dyno-sizes";
import { PRELOAD_FLAG, preloadFor, withoutPreload } from "../../provider/formations/preload-decision";

const NODE = { "dynoform.language": "node" };

describe("runtime metrics preload decision", () => {
  it("gives it to Node.js images on Standard, Performance, Private and Shield sizes only", () => {
    const got = DYNO_SIZES.filter((s) => preloadFor(NODE, s.name, {})).map((s) => s.tier);
    expect([...new Set(got)]).toEqual(["standard", "performance", "private", "shield"]);
    expect(preloadFor(NODE, "eco", {})).toBeUndefined();
    expect(preloadFor(NODE, "basic", {})).toBeUndefined();
  });

  it("gives nothing to other images: python, static, a Dockerfile without the label, an unknown size", () => {
    for (const labels of [{ "dynoform.language": "python" }, { "dynoform.language": "static" }, {}, null, undefined] as Array<
      Record<string, string> | null | undefined
    >)
      expect(preloadFor(labels, "standard-1x", {})).toBeUndefined();
    expect(preloadFor(NODE, "huge-9x", {})).toBeUndefined();
  });

  it("leaves it out of an app whose config opts out", () => {
    expect(preloadFor(NODE, "standard-1x", { DYNOFORM_RUNTIME_METRICS: "false" })).toBeUndefined();
    expect(preloadFor(NODE, "standard-1x", { DYNOFORM_RUNTIME_METRICS: " FALSE" })).toBeUndefined();
    expect(preloadFor(NODE, "standard-1x", { DYNOFORM_RUNTIME_METRICS: "true" })).toBeDefined();
  });

  it("loads it through NODE_OPTIONS, after the app's own options, and labels the dyno for the manager", () => {
    expect(preloadFor(NODE, "standard-1x", {})).toEqual({
      env: { NODE_OPTIONS: "--require /opt/dynoform/runtime-metrics.js" },
      labels: { "dynoform.runtime-metrics": "node" },
    });
    expect(preloadFor(NODE, "performance-m", { NODE_OPTIONS: "--max-old-space-size=300 " })?.env).toEqual({
      NODE_OPTIONS: `--max-old-space-size=300 ${PRELOAD_FLAG}`,
    });
  });

  it("takes the flag off again, so an adopted app's config compares equal", () => {
    expect(withoutPreload(`NODE_OPTIONS=--max-old-space-size=300 ${PRELOAD_FLAG}`)).toBe("NODE_OPTIONS=--max-old-space-size=300");
    expect(withoutPreload(`NODE_OPTIONS=${PRELOAD_FLAG}`)).toBe("NODE_OPTIONS=");
    expect(withoutPreload(`OTHER=${PRELOAD_FLAG}`)).toBe(`OTHER=${PRELOAD_FLAG}`);
  });
});
