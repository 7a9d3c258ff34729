import { describe, expect, it } from "vitest";
import { renderRouter, renderRouterConfig } from "../../provider/router/router-config";
import { maintenanceFileName, renderMaintenanceFile } from "../../provider/router/maintenance-page";
import { errorLogFragment, LOG_HEADER, ROUTER_ERRORS } from "../../provider/router/router-errors";

const route = (maintenance?: { page: string }, servers = [{ dyno: "web.1", address: "web.1.v1.shop.dyno" }]) => ({
  app: "shop",
  hostnames: ["shop.dynoform.localhost"],
  webPort: 5000,
  servers,
  ...(maintenance ? { maintenance } : {}),
});

describe("maintenance mode in the router (H80)", () => {
  it("logs H80 as Heroku does: at=info, not at=error", () => {
    expect(errorLogFragment(ROUTER_ERRORS.H80)).toBe('at=info code=H80 desc="Maintenance mode"');
    expect(errorLogFragment(ROUTER_ERRORS.H10)).toBe('at=error code=H10 desc="App crashed"');
  });

  it("answers every request of an app in maintenance with 503, before anything else in its backend", () => {
    const cfg = renderRouterConfig([route({ page: "" })], { publicHttpPort: 8080 });
    const backend = cfg.slice(cfg.indexOf("\nbackend app_shop") + 1);
    const lines = backend.split("\n");
    expect(lines[2]).toBe("  http-request return status 503 errorfile /etc/haproxy/errors/h80.http");
    expect(backend).toContain("server web.1 web.1.v1.shop.dyno:5000");
  });

  it("wins over H14 and an Eco app's wake-up: a sleeping app is not woken for a maintenance page", () => {
    const cfg = renderRouterConfig([{ ...route({ page: "" }, []), sleeps: true }], { publicHttpPort: 8080 });
    const backend = cfg.slice(cfg.indexOf("\nbackend app_shop") + 1);
    expect(backend.indexOf("h80.http")).toBeGreaterThan(0);
    expect(backend.indexOf("h80.http")).toBeLessThan(backend.indexOf("h14.http"));
  });

  it("renders nothing for an app not in maintenance", () => {
    expect(renderRouterConfig([route()], { publicHttpPort: 8080 })).not.toContain("h80");
  });

  it("serves a custom page file as it is, with the H80 log fragment, from a file of the app's own", () => {
    const spec = "html:<h1>Back soon</h1>";
    const out = renderRouter({
      routes: [route({ page: spec })],
      tls: { domains: [], certificates: [], challenges: [], redirectApps: [] },
      options: { publicHttpPort: 8080 },
    });
    expect(out.config).toContain("errorfile /etc/haproxy/errors/maintenance-shop.http");
    const file = out.pages?.[maintenanceFileName("shop", spec)] ?? "";
    expect(file).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(file).toContain(`${LOG_HEADER}: at=info code=H80 desc="Maintenance mode"\r\n`);
    expect(file.endsWith("\r\n\r\n<h1>Back soon</h1>")).toBe(true);
    expect(file).toContain(`content-length: ${Buffer.byteLength("<h1>Back soon</h1>")}`);
  });

  it("frames a custom page URL, as Heroku's router does, escaping it", () => {
    const file = renderMaintenanceFile('url:https://example.com/m.html?a=1&b="x"');
    expect(file).toContain('<iframe src="https://example.com/m.html?a=1&amp;b=&quot;x&quot;"');
  });

  it("uses the router's own page without a custom one", () => {
    expect(renderMaintenanceFile("")).toContain("Offline for maintenance");
    expect(maintenanceFileName("shop", "")).toBe("h80.http");
  });
});
