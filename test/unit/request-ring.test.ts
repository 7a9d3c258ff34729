import { describe, expect, it } from "vitest";
import { normalizeRingLine } from "../../provider/router/request-ring";

describe("the router's request ring", () => {
  it("stamps lines the way Docker does, so they interleave with dyno logs", () => {
    expect(normalizeRingLine('2026-11-24T12:01:55.943758+00:00 at=info method=GET path="/"')).toBe(
      '2026-11-24T12:01:55.943758Z at=info method=GET path="/"',
    );
    expect(normalizeRingLine("not a stamped line")).toBe("not a stamped line");
  });
});
