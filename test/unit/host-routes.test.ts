import { describe, expect, it } from "vitest";
import { appForHost, hostRoutes, parseDomainClaims, servesHost } from "../../provider/router/host-routes";

describe("host routes", () => {
  const routes = [
    { app: "shop", hostnames: ["shop.dynoform.localhost", "www.shop.example", "*.shop.example"] },
    { app: "admin", hostnames: ["admin.dynoform.localhost", "admin.shop.example"] },
    { app: "wide", hostnames: ["*.example"] },
  ];

  it("gives a request to the app the router sends it to: exact hostname first, then the longest wildcard", () => {
    expect(servesHost(routes, "shop", "shop.dynoform.localhost")).toBe(true);
    expect(servesHost(routes, "shop", "WWW.Shop.Example")).toBe(true);
    expect(servesHost(routes, "shop", "eu.shop.example")).toBe(true);
    expect(servesHost(routes, "shop", "admin.shop.example")).toBe(false);
    expect(servesHost(routes, "admin", "admin.shop.example")).toBe(true);
    expect(servesHost(routes, "shop", "other.example")).toBe(false);
    expect(servesHost(routes, "wide", "other.example")).toBe(true);
    expect(servesHost(routes, "wide", "eu.shop.example")).toBe(false);
  });

  it("names no app for a host the router does not serve", () => {
    expect(appForHost(routes, "nothing.localhost")).toBeUndefined();
    expect(appForHost(routes, "a.b.shop.example")).toBeUndefined();
  });

  it("builds a router's routes from its app networks' labels and its domain claims", () => {
    const r = hostRoutes(
      [
        { "dynoform.app": "shop", "dynoform.hostname": "shop.dynoform.localhost,shop.test.localhost" },
        { "dynoform.app": "admin", "dynoform.hostname": "admin.dynoform.localhost" },
      ],
      [{ app: "shop", hostname: "www.shop.example" }],
      ["ghost"],
    );
    expect(r).toEqual([
      { app: "ghost", hostnames: [] },
      { app: "shop", hostnames: ["shop.dynoform.localhost", "shop.test.localhost", "www.shop.example"] },
      { app: "admin", hostnames: ["admin.dynoform.localhost"] },
    ]);
  });

  it("reads domain claims printed one per line, skipping junk", () => {
    expect(parseDomainClaims('{"hostname":"WWW.Shop.Example","app":"shop"}\nnot json\n{"hostname":1}\n\n')).toEqual([
      { hostname: "www.shop.example", app: "shop" },
    ]);
  });
});
