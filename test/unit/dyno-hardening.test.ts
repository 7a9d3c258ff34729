import { describe, expect, it } from "vitest";
import { DYNO_USER, hardeningFor, KEPT_CAPABILITIES, releasePhasePidsLimit } from "../../provider/formations/dyno-hardening";

describe("dyno hardening", () => {
  it("runs an image that names no USER as uid:gid 10000:10000", () => {
    expect(DYNO_USER).toBe("10000:10000");
    expect(hardeningFor("").User).toBe("10000:10000");
    expect(hardeningFor(undefined).User).toBe("10000:10000");
  });

  it("keeps a Dockerfile's own USER", () => {
    expect(hardeningFor("dyno")).not.toHaveProperty("User");
    expect(hardeningFor("1001:1001")).not.toHaveProperty("User");
  });

  it("drops every capability and forbids new privileges, leaving seccomp and AppArmor on", () => {
    const { HostConfig } = hardeningFor("");
    expect(KEPT_CAPABILITIES).toEqual([]);
    expect(HostConfig).toEqual({ CapDrop: ["ALL"], CapAdd: [], SecurityOpt: ["no-new-privileges=true"] });
    expect(HostConfig.SecurityOpt.join(" ")).not.toMatch(/unconfined/);
  });

  it("gives the release phase a standard-1x's process limit", () => {
    expect(releasePhasePidsLimit()).toBeGreaterThan(0);
  });
});
