import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { LOOPBACK_SOURCE_VAR, renderSwarmRouterConfig, SPACE_ROUTER_COMMAND } from "../../provider/engine/swarm-router-config";
import { defaultGateway } from "../../provider/spaces/trusted-sources";

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

describe("a space router's config on a Swarm", () => {
  const routes = [{ app: "api", hostnames: ["api.dynoform.localhost"], webPort: 5000 }];

  it("refuses connections from outside the trusted ranges, each replica admitting its own node's loopback source", () => {
    const cfg = renderSwarmRouterConfig(routes, 8400, undefined, { trustedIpRanges: ["203.0.113.0/24", "127.0.0.1/32"], shield: false });
    expect(cfg).toContain(`  tcp-request connection reject unless { src 203.0.113.0/24 127.0.0.1/32 "\${${LOOPBACK_SOURCE_VAR}}"/32 }`);
    const noLoopback = renderSwarmRouterConfig(routes, 8400, undefined, { trustedIpRanges: ["10.0.0.0/8"], shield: false });
    expect(noLoopback).toContain("  tcp-request connection reject unless { src 10.0.0.0/8 }\n");
    expect(renderSwarmRouterConfig(routes, 8400, undefined, { trustedIpRanges: [], shield: false })).not.toContain("tcp-request");
  });

  it("serves a Shield space's custom domains with TLS 1.2 at least, as on one engine", () => {
    const extras = {
      tls: { certificates: [{ hostname: "api.shop.test", file: "certs/api.shop.test.pem" }], challenges: [], redirectHosts: [] },
      httpsPort: 8450,
      maintenance: {},
      acmeResponder: "tasks.dynoform-space-s-router-acme",
    };
    expect(renderSwarmRouterConfig(routes, 8400, extras, { trustedIpRanges: [], shield: true })).toMatch(
      /bind :443 ssl .* ssl-min-ver TLSv1\.2\n/,
    );
    expect(renderSwarmRouterConfig(routes, 8400, extras, { trustedIpRanges: [], shield: false })).not.toContain("ssl-min-ver");
  });

  it("keeps query strings out of a Shield router's log", () => {
    expect(renderSwarmRouterConfig(routes, 8400, undefined, { trustedIpRanges: [], shield: true })).toMatch(
      / {2}log-format ".* \\"%HM %HP %HV\\""/,
    );
    expect(renderSwarmRouterConfig(routes, 8400, undefined, { trustedIpRanges: [], shield: false })).not.toContain("log-format");
  });

  it("starts HAProxy with the gateway of the task's default route as its loopback source", () => {
    const table = [
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
      "eth0\t0000DC0A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0",
      "eth1\t00000000\t0101D20A\t0003\t0\t0\t0\t00000000\t0\t0\t0",
    ].join("\n");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "route-"));
    fs.writeFileSync(path.join(dir, "route"), `${table}\n`);
    // The command as the router runs it, reading this table and printing the variable instead of starting HAProxy.
    const script = SPACE_ROUTER_COMMAND[2]
      .replace("/proc/net/route", path.join(dir, "route"))
      .replace(/exec haproxy .*$/, `echo $${LOOPBACK_SOURCE_VAR}`);
    const out = execFileSync("sh", ["-c", script]).toString().trim();
    fs.rmSync(dir, { recursive: true });
    expect(out).toBe("10.210.1.1");
    expect(out).toBe(defaultGateway(table));
    expect(SPACE_ROUTER_COMMAND[2]).toMatch(/exec haproxy -W -db -f \/etc\/haproxy\/haproxy\.cfg$/);
  });
});

describe("the cluster router's config with custom domains", () => {
  const cfg = renderSwarmRouterConfig(
    [{ app: "shop", hostnames: ["shop.dynoform.localhost", "www.shop.test", "*.shop.test"], webPort: 5000 }],
    18480,
    {
      tls: {
        certificates: [{ hostname: "www.shop.test", file: "certs/www.shop.test.pem" }],
        challenges: [],
        redirectHosts: ["www.shop.test"],
      },
      httpsPort: 18443,
      maintenance: { shop: "" },
      acmeResponder: "tasks.dynoform-router-acme",
    },
  );

  it("serves HTTPS by SNI from the crt-list on 443 (published on each edge node)", () => {
    expect(cfg).toContain("bind :443 ssl crt-list /etc/haproxy/tls/crt-list");
    expect(cfg).toContain("X-Forwarded-Proto https if { ssl_fc }");
  });

  it("sends every replica's ACME challenges to the one responder, before any redirect catches them", () => {
    expect(cfg).toContain("use_backend acme-responder if !{ ssl_fc } { path_beg /.well-known/acme-challenge/ }");
    expect(cfg).toMatch(/server-template acme 1 tasks\.dynoform-router-acme:\d+ .*resolvers docker/);
    expect(cfg).toMatch(
      /redirect location https:\/\/%\[var\(txn.host\)\]:18443.* !\{ path_beg \/.well-known\/acme-challenge\/ \} \{ var\(txn.host\) -m str www.shop.test \}/,
    );
  });

  it("routes exact hostnames before wildcards", () => {
    expect(cfg).not.toContain("-m str *.shop.test");
    expect(cfg.indexOf("-m str www.shop.test }")).toBeLessThan(cfg.indexOf("-m reg ^[^.]+\\.shop\\.test$"));
  });

  it("answers every request of an app in maintenance with the H80 page", () => {
    expect(cfg).toMatch(/backend app-shop\n.*\n {2}http-request return status 503 errorfile \/etc\/haproxy\/errors\/.*/);
  });
});

describe("the cluster router's config for a sleeping Eco app", () => {
  const cfg = renderSwarmRouterConfig(
    [
      { app: "eco", hostnames: ["eco.dynoform.localhost"], webPort: 5000, sleeps: true },
      { app: "std", hostnames: ["std.dynoform.localhost"], webPort: 5000 },
    ],
    18480,
  );

  it("holds a request for an app with no dyno up and asks the dyno manager to wake it; H20 after 75 s", () => {
    expect(cfg).toContain("lua-load /etc/haproxy/wake.lua");
    expect(cfg).toMatch(
      /backend app-eco\n {2}balance roundrobin\n {2}http-request lua\.dynoform_wake app-eco eco 75 if \{ nbsrv\(app-eco\) eq 0 \}\n/,
    );
    expect(cfg).toMatch(/http-request return status 503 errorfile \S+h20\S* if \{ var\(txn\.wake\) -m str timeout \}/);
  });

  it("leaves other apps (H14 at once when they have no dyno) and a cluster without Eco apps as they were", () => {
    expect(cfg).not.toMatch(/backend app-std\n[^\n]*\n {2}http-request lua/);
    const plain = renderSwarmRouterConfig([{ app: "std", hostnames: ["std.dynoform.localhost"], webPort: 5000 }], 18480);
    expect(plain).not.toContain("lua");
  });
});
