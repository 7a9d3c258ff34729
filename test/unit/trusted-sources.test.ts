import { describe, expect, it } from "vitest";
import { admitsLoopback, defaultGateway, publishAddresses, trustedSources } from "../../provider/spaces/trusted-sources";

describe("trusted sources", () => {
  it("knows which ranges hold 127.0.0.1", () => {
    expect(admitsLoopback(["127.0.0.1/32"])).toBe(true);
    expect(admitsLoopback(["203.0.113.0/24", "127.0.0.0/8"])).toBe(true);
    expect(admitsLoopback(["0.0.0.0/0"])).toBe(true);
    expect(admitsLoopback(["128.0.0.0/1", "203.0.113.0/24", "2001:db8::/32"])).toBe(false);
    expect(admitsLoopback([])).toBe(false);
  });

  it("reads the default route's gateway from /proc/net/route", () => {
    const table = [
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
      "eth1\t00000000\t011DC80A\t0003\t0\t0\t0\t00000000\t0\t0\t0",
      "eth0\t001CC80A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
    ].join("\n");
    expect(defaultGateway(table)).toBe("10.200.29.1");
    expect(
      defaultGateway(
        table
          .split("\n")
          .filter((l) => !l.includes("\t00000000\t011"))
          .join("\n"),
      ),
    ).toBeUndefined();
  });

  it("admits exactly one gateway, and only when loopback is trusted", () => {
    expect(trustedSources(["127.0.0.1/32"], "10.200.29.1")).toEqual(["127.0.0.1/32", "10.200.29.1/32"]);
    expect(trustedSources(["203.0.113.0/24"], "10.200.29.1")).toEqual(["203.0.113.0/24"]);
    expect(trustedSources(["127.0.0.1/32"], undefined)).toEqual(["127.0.0.1/32"]);
  });

  it("publishes on 127.0.0.1, plus the addresses named in DYNOFORM_ROUTER_PUBLISH_ADDRESSES", () => {
    expect(publishAddresses({})).toEqual(["127.0.0.1"]);
    expect(publishAddresses({ DYNOFORM_ROUTER_PUBLISH_ADDRESSES: "198.18.0.1, 127.0.0.1" })).toEqual(["127.0.0.1", "198.18.0.1"]);
    expect(() => publishAddresses({ DYNOFORM_ROUTER_PUBLISH_ADDRESSES: "eth0" })).toThrow(/"eth0" is not an IP address\. Fix: /);
  });
});
