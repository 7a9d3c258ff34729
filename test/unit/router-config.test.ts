import { describe, expect, it } from "vitest";
import { backendName, MAX_WEB_DYNOS, renderRouterConfig } from "../../provider/router-config";

describe("renderRouterConfig", () => {
  const routes = [
    { app: "web-b", hostnames: ["web-b.dynoform.localhost"], webAlias: "web.web-b.dyno", webPort: 5000 },
    { app: "api", hostnames: ["api.dynoform.localhost", "API.Example.com"], webAlias: "web.api.dyno", webPort: 5000 },
  ];

  it("routes each hostname, lower-cased and without port, to its app's backend", () => {
    const cfg = renderRouterConfig(routes);
    expect(cfg).toContain("use_backend app_api if { req.hdr(host),field(1,:),lower -m str api.example.com }");
    expect(cfg).toContain("use_backend app_web_b if { req.hdr(host),field(1,:),lower -m str web-b.dynoform.localhost }");
    expect(cfg).toContain("default_backend no_such_app");
  });

  it("discovers web dynos through Docker's DNS, with health checks", () => {
    const cfg = renderRouterConfig(routes);
    expect(cfg).toContain(`server-template web ${MAX_WEB_DYNOS} web.api.dyno:5000 check`);
    expect(cfg).toContain("resolvers docker");
    expect(cfg).toContain("nameserver docker 127.0.0.11:53");
  });

  it("is the same for the same routes in any order, so unchanged routes never reload differently", () => {
    expect(renderRouterConfig([...routes].reverse())).toBe(renderRouterConfig(routes));
  });

  it("answers 404 for unknown hosts when there are no apps", () => {
    const cfg = renderRouterConfig([]);
    expect(cfg).toContain("backend no_such_app");
    expect(cfg).not.toContain("use_backend");
  });

  it("names backends safely", () => {
    expect(backendName("my-app")).toBe("app_my_app");
  });
});
