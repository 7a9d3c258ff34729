import { describe, expect, it } from "vitest";
import { renderCaddyfile, renderMinimalHaproxy, renderMinimalHaproxyMap, renderNginx, renderTraefikDynamic } from "../../bench/peers";
import { mergeQuantiles, wrkScript } from "../../bench/wrk";

const apps = [
  { name: "app-a", hostname: "a.test.localhost", dynos: ["10.0.0.2:5000", "10.0.0.3:5000"] },
  { name: "app-b", hostname: "b.test.localhost", dynos: ["10.0.1.2:5000"] },
];

describe("the router bench's peers", () => {
  it("gives nginx an upstream per app with its dynos and keep-alive, and a server per host with an access log", () => {
    const conf = renderNginx(apps);
    expect(conf).toContain("upstream app-a-5000 {\n    server 10.0.0.2:5000;\n    server 10.0.0.3:5000;\n    keepalive 16;");
    expect(conf).toContain("server_name b.test.localhost;");
    expect(conf).toContain("access_log /var/log/nginx/app-b-access.log;");
    expect(conf).toContain('proxy_set_header Connection "";');
  });

  it("gives Caddy a plain and a TLS site per host, proxying to every dyno", () => {
    const conf = renderCaddyfile(apps);
    expect(conf).toContain("http://a.test.localhost:80 {\n  reverse_proxy 10.0.0.2:5000 10.0.0.3:5000\n}");
    expect(conf).toContain("https://b.test.localhost:443 {\n  tls /certs/b.test.localhost.crt /certs/b.test.localhost.key");
  });

  it("gives Traefik a router per entrypoint and a service per app, and every certificate", () => {
    const conf = renderTraefikDynamic(apps);
    expect(conf).toContain(
      '    app-a-https:\n      entryPoints: [https]\n      rule: "Host(`a.test.localhost`)"\n      service: app-a\n      tls: {}',
    );
    expect(conf).toContain('          - url: "http://10.0.0.3:5000"');
    expect(conf).toContain("    - certFile: /certs/b.test.localhost.crt");
  });

  it("routes the minimal HAProxy by a host map, with nothing else on", () => {
    expect(renderMinimalHaproxy(apps)).toContain("backend app-a\n  server web.1 10.0.0.2:5000\n  server web.2 10.0.0.3:5000");
    expect(renderMinimalHaproxy(apps)).not.toMatch(/log|check|resolvers/);
    expect(renderMinimalHaproxyMap(apps)).toBe("a.test.localhost app-a\nb.test.localhost app-b\n");
  });
});

describe("wrk runs merged", () => {
  it("weights each run's quantiles by its requests", () => {
    const fast = { requests: 9000, quantilesUs: Array.from({ length: 999 }, () => 1000) };
    const slow = { requests: 1000, quantilesUs: Array.from({ length: 999 }, () => 5000) };
    expect(mergeQuantiles([fast, slow], 0.5)).toBe(1);
    expect(mergeQuantiles([fast, slow], 0.95)).toBe(5);
  });

  it("connects to 127.0.0.1 and rotates the Host header", () => {
    const script = wrkScript(["a", "b"]);
    expect(script).toContain('wrk.lookup("127.0.0.1", service)');
    expect(script).toContain('local hosts = { "a", "b" }');
  });
});
