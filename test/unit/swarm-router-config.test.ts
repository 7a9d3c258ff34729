import { describe, expect, it } from "vitest";
import { renderSwarmRouterConfig } from "../../provider/engine/swarm-router-config";

describe("the cluster router's config", () => {
  const cfg = renderSwarmRouterConfig(
    [
      { app: "zeta", hostnames: ["zeta.dynoform.localhost"], webPort: 5000 },
      { app: "hello", hostnames: ["Hello.dynoform.localhost"], webPort: 5000 },
    ],
    18480,
  );

  it("finds each app's web dynos through Swarm's DNS on every node, so replaced dynos need no reload", () => {
    expect(cfg).toContain("nameserver dns1 127.0.0.11:53");
    expect(cfg).toMatch(
      /backend app-hello\n.*\n {2}server-template web 100 tasks\.hello-web:5000 check .*resolvers docker .*init-addr none/,
    );
  });

  it("routes by Host on the published port, apps in a stable order, and answers 404 for others", () => {
    expect(cfg).toContain("bind :18480");
    expect(cfg.indexOf("use_backend app-hello")).toBeLessThan(cfg.indexOf("use_backend app-zeta"));
    expect(cfg).toContain("-m str hello.dynoform.localhost");
    expect(cfg).toContain("return status 404");
  });

  it("retries a request on another dyno when one stops between two checks", () => {
    expect(cfg).toContain("option redispatch 1");
  });
});
