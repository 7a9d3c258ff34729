import { describe, expect, it } from "vitest";
import { bridgeOf, guardRule } from "../../provider/spaces/shield-guard";

describe("the Shield host guard", () => {
  it("drops new connections from a Shield network's bridge into the host, and nothing else", () => {
    expect(bridgeOf("0123456789abcdef0123")).toBe("br-0123456789ab");
    expect(guardRule("br-0123456789ab")).toEqual(["INPUT", "-i", "br-0123456789ab", "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP"]);
  });
});
