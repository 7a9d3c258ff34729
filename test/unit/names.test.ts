import { describe, expect, it } from "vitest";
import { APP_NAME, AppNameSchema, CONFIG_VAR_NAME, HOSTNAME, HostnameSchema, PROCESS_TYPE_NAME, SPACE_NAME } from "../../sdk/names";

describe("name rules", () => {
  it.each([
    [APP_NAME, ["api", "my-app-2", "a".repeat(30)], ["ab", "2fast", "Api", "api-", "a_b", "a".repeat(31)]],
    [SPACE_NAME, ["payments", "eu-1"], ["a--b", "-x", "Pay", "x"]],
    [PROCESS_TYPE_NAME, ["web", "worker", "release_queue", "a-b", "p1"], ["Web", "bad name", "", "-x", "a".repeat(64)]],
    [CONFIG_VAR_NAME, ["DATABASE_URL", "_x", "node_env"], ["1X", "A-B", "PORT", "DYNO", ""]],
    [
      HOSTNAME,
      ["api.example.com", "*.example.com", "a.b.c.example.co"],
      ["localhost", "*.*.example.com", "-a.example.com", "a..b", "exa mple.com", `${"a".repeat(64)}.com`],
    ],
  ])("%#: accepts the good and explains the bad", (rule, good, bad) => {
    for (const g of good) expect(rule.check(g)).toBeUndefined();
    for (const b of bad) expect(rule.check(b)).toMatch(/rule [a-z-]+\)?.*Fix:/);
  });

  it("says why PORT cannot be a config var", () => {
    expect(CONFIG_VAR_NAME.check("PORT")).toContain("set by Dynoform for every dyno");
  });

  it("zod schemas carry the same messages", () => {
    const r = AppNameSchema.safeParse("Bad_App");
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toContain("rule app-name");
    expect(HostnameSchema.safeParse("api.example.com").success).toBe(true);
  });
});
