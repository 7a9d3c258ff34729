import { describe, expect, it } from "vitest";
import { DYNO_SIZES } from "../../sdk/dyno-sizes";
import { TIER_RULES, validateFormation, type FormationSpec } from "../../sdk/tier-rules";

const PRIVATE = { name: "pay", shield: false };
const ALERT = { p95ResponseTimeMs: 500, windowMinutes: 1 };
const SHIELD = { name: "vault", shield: true };
const f = (processes: FormationSpec["processes"], extra: Partial<FormationSpec> = {}): FormationSpec => ({
  resource: "api",
  app: "api",
  processes,
  ...extra,
});
const rules = (spec: FormationSpec) => [...new Set(validateFormation(spec).map((v) => v.rule))].sort();

// [description, formation, expected rule ids ([] = valid)]
const TABLE: Array<[string, FormationSpec, string[]]> = [
  ["eco web alone", f({ web: { quantity: 1, size: "eco" } }), []],
  ["eco web + eco worker", f({ web: { quantity: 1, size: "eco" }, worker: { quantity: 1, size: "eco" } }), []],
  ["eco with standard", f({ web: { quantity: 1, size: "eco" }, worker: { quantity: 1, size: "standard-1x" } }), ["tier-mixing"]],
  ["eco with basic", f({ web: { quantity: 1, size: "eco" }, worker: { quantity: 1, size: "basic" } }), ["tier-mixing"]],
  ["basic with performance", f({ web: { quantity: 1, size: "performance-m" }, worker: { quantity: 1, size: "basic" } }), ["tier-mixing"]],
  ["standard with performance", f({ web: { quantity: 2, size: "performance-l" }, worker: { quantity: 3, size: "standard-2x" } }), []],
  ["two eco dynos of one type", f({ web: { quantity: 2, size: "eco" } }), ["horizontal-scaling"]],
  ["two basic dynos of one type", f({ web: { quantity: 2, size: "basic" } }), ["horizontal-scaling"]],
  ["quantity 0 is a stopped type", f({ web: { quantity: 0, size: "basic" } }), []],
  ["quantity -1", f({ web: { quantity: -1, size: "standard-1x" } }), ["quantity-invalid"]],
  ["quantity 1.5", f({ web: { quantity: 1.5, size: "standard-1x" } }), ["quantity-invalid"]],
  ["standard 100 web", f({ web: { quantity: 100, size: "standard-1x" } }), []],
  ["standard 101 web", f({ web: { quantity: 101, size: "standard-1x" } }), ["app-dyno-limit", "scale-limit"]],
  ["performance 10 web", f({ web: { quantity: 10, size: "performance-m" } }), []],
  ["performance 11 web", f({ web: { quantity: 11, size: "performance-m" } }), ["scale-limit"]],
  [
    "60 + 50 standard dynos",
    f({ web: { quantity: 60, size: "standard-1x" }, worker: { quantity: 50, size: "standard-2x" } }),
    ["app-dyno-limit"],
  ],
  [
    "three eco process types",
    f({ web: { quantity: 1, size: "eco" }, a: { quantity: 1, size: "eco" }, b: { quantity: 0, size: "eco" } }),
    ["process-type-limit"],
  ],
  [
    "three running eco dynos",
    f({ web: { quantity: 1, size: "eco" }, a: { quantity: 1, size: "eco" }, b: { quantity: 1, size: "eco" } }),
    ["eco-running-limit", "process-type-limit"],
  ],
  ["ten basic types", f(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`p${i}`, { quantity: 1, size: "basic" }]))), []],
  [
    "eleven basic types",
    f(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`p${i}`, { quantity: 1, size: "basic" }]))),
    ["process-type-limit"],
  ],
  ["preboot on standard", f({ web: { quantity: 2, size: "standard-1x" } }, { preboot: true }), []],
  ["preboot on basic", f({ web: { quantity: 1, size: "basic" } }, { preboot: true }), ["preboot-not-allowed"]],
  [
    "preboot in a private space",
    f({ web: { quantity: 1, size: "private-s" } }, { preboot: true, space: PRIVATE }),
    ["preboot-not-allowed"],
  ],
  ["autoscaling on performance web", f({ web: { quantity: 2, size: "performance-m", autoscaling: { min: 2, max: 8 } } }), []],
  [
    "autoscaling on standard",
    f({ web: { quantity: 2, size: "standard-2x", autoscaling: { min: 1, max: 4 } } }),
    ["autoscaling-not-allowed"],
  ],
  [
    "autoscaling on a worker",
    f({ worker: { quantity: 2, size: "performance-m", autoscaling: { min: 1, max: 4 } } }),
    ["autoscaling-not-allowed"],
  ],
  ["autoscaling min > max", f({ web: { quantity: 2, size: "performance-m", autoscaling: { min: 5, max: 3 } } }), ["autoscaling-range"]],
  ["autoscaling min 0", f({ web: { quantity: 2, size: "performance-m", autoscaling: { min: 0, max: 3 } } }), ["autoscaling-range"]],
  [
    "autoscaling max over the limit",
    f({ web: { quantity: 2, size: "performance-m", autoscaling: { min: 1, max: 11 } } }),
    ["autoscaling-range", "scale-limit"],
  ],
  ["private size in a private space", f({ web: { quantity: 3, size: "private-m" } }, { space: PRIVATE }), []],
  ["private size in the common runtime", f({ web: { quantity: 1, size: "private-s" } }), ["space-private-size"]],
  ["private size in a shield space", f({ web: { quantity: 1, size: "private-s" } }, { space: SHIELD }), ["space-private-size"]],
  ["shield size in a shield space", f({ web: { quantity: 1, size: "shield-l" } }, { space: SHIELD }), []],
  ["shield size in a private space", f({ web: { quantity: 1, size: "shield-s" } }, { space: PRIVATE }), ["space-shield-size"]],
  ["shield size in the common runtime", f({ web: { quantity: 1, size: "shield-m" } }), ["space-shield-size"]],
  ["common size in a space", f({ web: { quantity: 1, size: "standard-1x" } }, { space: PRIVATE }), ["space-common-size"]],
  ["unknown size", f({ web: { quantity: 1, size: "standard-3x" } }), ["size-unknown"]],
  ["bad process type name", f({ "Web Server": { quantity: 1, size: "standard-1x" } }), ["process-type-name"]],
  ["alerts on standard web", f({ web: { quantity: 1, size: "standard-1x" } }, { alerts: { web: ALERT } }), []],
  ["alerts on performance web", f({ web: { quantity: 2, size: "performance-m" } }, { alerts: { web: ALERT } }), []],
  ["alerts on private web", f({ web: { quantity: 1, size: "private-s" } }, { space: PRIVATE, alerts: { web: ALERT } }), []],
  ["alerts on shield web", f({ web: { quantity: 1, size: "shield-s" } }, { space: SHIELD, alerts: { web: ALERT } }), []],
  ["alerts on eco", f({ web: { quantity: 1, size: "eco" } }, { alerts: { web: ALERT } }), ["alerts-not-allowed"]],
  ["alerts on basic", f({ web: { quantity: 1, size: "basic" } }, { alerts: { web: ALERT } }), ["alerts-not-allowed"]],
  [
    "alerts on a worker",
    f({ web: { quantity: 1, size: "standard-1x" }, worker: { quantity: 1, size: "standard-1x" } }, { alerts: { worker: ALERT } }),
    ["alerts-process-type"],
  ],
  ["alerts on web without web", f({ worker: { quantity: 1, size: "standard-1x" } }, { alerts: { web: ALERT } }), ["alerts-process-type"]],
];

describe("validateFormation: one row per rule and case", () => {
  it.each(TABLE)("%s", (_name, spec, expected) => {
    expect(rules(spec)).toEqual([...expected].sort());
  });

  it("covers every rule id in the table", () => {
    const covered = new Set(TABLE.flatMap(([, , r]) => r));
    expect(TIER_RULES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });
});

describe("every size", () => {
  it.each(DYNO_SIZES.map((s) => [s.name, s] as const))("%s: one dyno is valid in its own runtime, invalid in the others", (_n, size) => {
    const space = size.runtime === "private" ? PRIVATE : size.runtime === "shield" ? SHIELD : undefined;
    expect(rules(f({ web: { quantity: 1, size: size.name } }, { space }))).toEqual([]);
    for (const other of [undefined, PRIVATE, SHIELD].filter((s) => s !== space)) {
      expect(rules(f({ web: { quantity: 1, size: size.name } }, { space: other })).some((r) => r.startsWith("space-"))).toBe(true);
    }
  });

  it.each(DYNO_SIZES.map((s) => [s.name, s] as const))("%s: scaling to its limit is valid, one more is not", (_n, size) => {
    const space = size.runtime === "private" ? PRIVATE : size.runtime === "shield" ? SHIELD : undefined;
    const limit = Math.min(size.maxQuantityPerProcessType, 100);
    expect(rules(f({ web: { quantity: limit, size: size.name } }, { space }))).toEqual([]);
    expect(rules(f({ web: { quantity: limit + 1, size: size.name } }, { space })).length).toBeGreaterThan(0);
  });
});

describe("messages", () => {
  it("name the resource, the process type, the rule and the fix", () => {
    const [v] = validateFormation(f({ web: { quantity: 1, size: "eco" }, worker: { quantity: 1, size: "standard-1x" } }));
    expect(v.message).toBe(
      'Formation "api", process type "web": size "eco" cannot be combined with "standard-1x" in one app (rule tier-mixing). Fix: use Eco for every process type, or move every process type to Standard/Performance sizes',
    );
  });

  it("say which tiers allow threshold alerts", () => {
    const [v] = validateFormation(f({ web: { quantity: 1, size: "basic" } }, { alerts: { web: ALERT } }));
    expect(v.message).toBe(
      'Formation "api", process type "web": size "basic" does not allow threshold alerts (Basic tier) (rule alerts-not-allowed). Fix: remove the alerts, or use a Standard, Performance, Private or Shield size',
    );
  });

  it("suggest the nearest size for a typo", () => {
    const [v] = validateFormation(f({ web: { quantity: 1, size: "standard1x" } }));
    expect(v.message).toContain('did you mean "standard-1x"?');
    expect(validateFormation(f({ web: { quantity: 1, size: "perfomance-l" } }))[0].message).toContain('did you mean "performance-l"?');
  });
});
