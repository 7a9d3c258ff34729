import { bench, describe } from "vitest";
import { validateFormation, type FormationSpec } from "../sdk/tier-rules";

// Issue 3's target: validating a 500-process-type formation takes well under a second.
// Anchor, same run: one JSON round trip of the same formation (the least work any check must do:
// look at every process once).
const spec: FormationSpec = {
  resource: "big",
  app: "big",
  processes: Object.fromEntries(
    Array.from({ length: 500 }, (_, i) => [`p${i}`, { quantity: 1, size: i % 2 ? "performance-m" : "standard-2x" }]),
  ),
};

describe("validate a 500-process-type formation", () => {
  bench("anchor: JSON round trip of the formation", () => {
    JSON.parse(JSON.stringify(spec));
  });
  bench("validateFormation", () => {
    validateFormation(spec);
  });
});
