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
    const cfg = renderSwarmRouterConfig(routes, 8400, { trustedIpRanges: ["203.0.113.0/24", "127.0.0.1/32"], shield: false });
    expect(cfg).toContain(`  tcp-request connection reject unless { src 203.0.113.0/24 127.0.0.1/32 "\${${LOOPBACK_SOURCE_VAR}}"/32 }`);
    const noLoopback = renderSwarmRouterConfig(routes, 8400, { trustedIpRanges: ["10.0.0.0/8"], shield: false });
    expect(noLoopback).toContain("  tcp-request connection reject unless { src 10.0.0.0/8 }\n");
    expect(renderSwarmRouterConfig(routes, 8400, { trustedIpRanges: [], shield: false })).not.toContain("tcp-request");
  });

  it("keeps query strings out of a Shield router's log", () => {
    expect(renderSwarmRouterConfig(routes, 8400, { trustedIpRanges: [], shield: true })).toMatch(/ {2}log-format ".* \\"%HM %HP %HV\\""/);
    expect(renderSwarmRouterConfig(routes, 8400, { trustedIpRanges: [], shield: false })).not.toContain("log-format");
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
