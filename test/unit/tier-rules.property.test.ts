import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DYNO_SIZES } from "../../sdk/dyno-sizes";
import { validateFormation, type FormationSpec } from "../../sdk/tier-rules";

/**
 * An oracle written again from the catalog's data, without the rules module: a formation is
 * acceptable exactly when every statement below holds.
 */
function oracleAccepts(spec: FormationSpec): boolean {
  const entries = Object.entries(spec.processes);
  const sizes = entries.map(([, p]) => DYNO_SIZES.find((s) => s.name === p.size));
  if (sizes.some((s) => !s)) return false;
  if (entries.some(([t]) => !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(t))) return false;
  if (entries.some(([, p]) => !Number.isInteger(p.quantity) || p.quantity < 0)) return false;
  const tiers = new Set(sizes.map((s) => s!.tier));
  if ((tiers.has("eco") || tiers.has("basic")) && tiers.size > 1) return false;
  let total = 0;
  let ecoRunning = 0;
  for (let i = 0; i < entries.length; i++) {
    const [type, p] = entries[i];
    const s = sizes[i]!;
    const top = Math.max(p.quantity, p.autoscaling?.max ?? 0);
    if (top > s.maxQuantityPerProcessType) return false;
    if (!s.features.horizontalScaling && p.quantity > 1) return false;
    if (p.autoscaling) {
      if (type !== "web" || !s.features.autoscaling) return false;
      const { min, max } = p.autoscaling;
      if (min < 1 || min > max) return false;
    }
    if (s.runtime === "common" && spec.space) return false;
    if (s.runtime === "private" && (!spec.space || spec.space.shield)) return false;
    if (s.runtime === "shield" && !spec.space?.shield) return false;
    if (spec.preboot && !s.features.preboot) return false;
    total += p.quantity > 0 ? top : 0;
    if (s.tier === "eco") ecoRunning += p.quantity;
  }
  if (entries.length > Math.min(...sizes.map((s) => s!.maxProcessTypes))) return false;
  return total <= 100 && ecoRunning <= 2;
}

const sizeName = fc.oneof(fc.constantFrom(...DYNO_SIZES.map((s) => s.name)), fc.constantFrom("standard-3x", "Eco", "hobby"));
const processType = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom("web", "worker", "clock", "release_queue", "a-b", "p1", "p2", "p3") },
  { weight: 1, arbitrary: fc.constantFrom("Web", "bad name") },
);
const processSpec = fc.record(
  {
    quantity: fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 12 }) },
      { weight: 1, arbitrary: fc.integer({ min: 90, max: 120 }) },
      { weight: 1, arbitrary: fc.constantFrom(-1, 1.5) },
    ),
    size: sizeName,
    autoscaling: fc.record({ min: fc.integer({ min: 0, max: 12 }), max: fc.integer({ min: 0, max: 12 }) }),
  },
  { requiredKeys: ["quantity", "size"] },
);
const formation = fc.record({
  resource: fc.constant("api"),
  app: fc.constant("api"),
  processes: fc.dictionary(processType, processSpec, { minKeys: 1, maxKeys: 12 }),
  preboot: fc.boolean(),
  space: fc.option(fc.record({ name: fc.constant("s1"), shield: fc.boolean() }), { nil: undefined }),
});

// Formations biased towards validity: one tier, sizes of the matching runtime, small quantities.
const plausible = fc.constantFrom(...DYNO_SIZES).chain((size) =>
  fc.record({
    resource: fc.constant("api"),
    app: fc.constant("api"),
    processes: fc.dictionary(
      fc.constantFrom("web", "worker", "clock"),
      fc.record({ quantity: fc.integer({ min: 0, max: 3 }), size: fc.constant(size.name) }),
      { minKeys: 1 },
    ),
    preboot: fc.boolean(),
    space: fc.constant(size.runtime === "common" ? undefined : { name: "s1", shield: size.runtime === "shield" }),
  }),
);

describe("tier rules against an independent oracle", () => {
  it("accept a random formation exactly when no rule is broken", () => {
    fc.assert(
      fc.property(fc.oneof(formation, plausible), (spec) => {
        expect(validateFormation(spec).length === 0).toBe(oracleAccepts(spec));
      }),
      { numRuns: 3000 },
    );
  });
});
