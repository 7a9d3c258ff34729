import { describe, expect, it } from "vitest";
import { dynoDnsName, formationDnsName, spaceDnsEnv, spaceNetworkName, spaceRouterName } from "../../provider/spaces/space-network";

describe("names in a space", () => {
  it("follow Heroku's Private Space DNS", () => {
    expect(dynoDnsName("api", "web", 2)).toBe("2.web.api.app.localspace");
    expect(formationDnsName("api", "worker")).toBe("worker.api.app.localspace");
    expect(spaceDnsEnv("api", "web", 1)).toEqual({
      HEROKU_DNS_APP_NAME: "api.app.localspace",
      HEROKU_DNS_FORMATION_NAME: "web.api.app.localspace",
      HEROKU_DNS_DYNO_NAME: "1.web.api.app.localspace",
    });
  });

  it("give each space its network and router", () => {
    expect(spaceNetworkName("payments")).toBe("dynoform-space-payments");
    expect(spaceRouterName("payments")).toBe("dynoform-space-payments-router");
  });
});
