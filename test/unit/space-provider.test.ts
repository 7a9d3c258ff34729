import { describe, expect, it } from "vitest";
import { cidrProblem, provider } from "../../provider/spaces/space-provider";

describe("Space checks at preview", () => {
  it("accepts CIDR ranges and explains the ones it refuses", () => {
    for (const ok of ["10.0.0.0/16", "203.0.113.7/32", "127.0.0.1/32", "2001:db8::/32"]) expect(cidrProblem(ok)).toBeUndefined();
    for (const bad of ["10.0.0.0", "10.0.0.0/33", "example.com/24", "2001:db8::/129"]) {
      expect(cidrProblem(bad)).toMatch(/is not a CIDR range \(rule space-trusted-range\)\. Fix: /);
    }
  });

  it("fails a bad name, range or port, naming the space", async () => {
    const r = await provider.check({} as never, {
      name: "Bad_Name",
      shield: false,
      trustedIpRanges: ["nope"],
      httpPort: 70000,
      httpsPort: 0,
    });
    expect(r.failures.map((f) => f.property)).toEqual(["name", "trustedIpRanges", "httpPort"]);
    expect(r.failures.every((f) => f.reason.startsWith('Space "Bad_Name": '))).toBe(true);
  });

  it("replaces a space whose kind changes, and updates one whose trusted ranges change", async () => {
    const olds = { name: "p", shield: false, trustedIpRanges: ["10.0.0.0/8"], httpPort: 8400, httpsPort: 8450, network: "n", router: "r" };
    expect(await provider.diff("p", olds, { ...olds, shield: true })).toMatchObject({ changes: true, replaces: ["shield"] });
    expect(await provider.diff("p", olds, { ...olds, trustedIpRanges: ["127.0.0.1/32"] })).toMatchObject({ changes: true, replaces: [] });
    expect(await provider.diff("p", olds, { ...olds, httpPort: 0, httpsPort: 0 })).toMatchObject({ changes: false });
  });
});
