import { describe, expect, it } from "vitest";
import {
  backendName,
  hostMapFile,
  renderHostMap,
  renderRouter,
  renderRouterConfig,
  ROUTER_LOG_FORMAT,
} from "../../provider/router/router-config";
import { errorLogFragment, renderErrorFile, ROUTER_ERRORS } from "../../provider/router/router-errors";

describe("renderRouterConfig", () => {
  const routes = [
    { app: "web-b", hostnames: ["web-b.dynoform.localhost"], webPort: 5000, servers: [{ dyno: "web.1", address: "web.1.v2.web-b.dyno" }] },
    {
      app: "api",
      hostnames: ["api.dynoform.localhost", "API.Example.com"],
      webPort: 5000,
      servers: [
        { dyno: "web.10", address: "web.10.v7.api.dyno" },
        { dyno: "web.2", address: "web.2.v7.api.dyno", ip: "172.20.0.5" },
      ],
    },
    { app: "idle", hostnames: ["idle.dynoform.localhost"], webPort: 5000, servers: [] },
  ];
  const opts = { publicHttpPort: 8080 };

  it("routes each hostname, lower-cased and without port, to its app's backend", () => {
    const cfg = renderRouterConfig(routes, opts);
    expect(cfg).toContain("http-request set-var(txn.host) req.hdr(host),field(1,:),lower");
    const map = renderHostMap(routes);
    expect(map).toContain("api.example.com app_api\n");
    expect(map).toContain("web-b.dynoform.localhost app_web_b\n");
    expect(cfg).toContain(`http-request set-var(txn.backend) var(txn.host),map(/etc/haproxy/${hostMapFile(map)})`);
    expect(cfg).toContain("use_backend %[var(txn.backend)] if { var(txn.backend) -m found }");
    expect(cfg).toContain("default_backend no_such_app");
  });

  it("routes by one host map named for its content, not a chain of rules per hostname", () => {
    const cfg = renderRouterConfig(routes, opts);
    expect(cfg).not.toMatch(/use_backend app_/);
    expect(hostMapFile(renderHostMap(routes))).toMatch(/^hosts-[0-9a-f]{12}\.map$/);
    const moved = routes.map((r) => (r.app === "api" ? { ...r, hostnames: ["api2.example.com"] } : r));
    expect(hostMapFile(renderHostMap(moved))).not.toBe(hostMapFile(renderHostMap(routes)));
    // A hostname two apps name goes to the first in app order, whatever the order observed.
    const both = [routes[0], { ...routes[1], hostnames: ["web-b.dynoform.localhost"] }];
    expect(renderHostMap(both)).toBe(renderHostMap([...both].reverse()));
    expect(renderHostMap(both)).toBe("web-b.dynoform.localhost app_api\n");
  });

  it("lets a client's first request reuse an idle dyno connection, as nginx's keep-alive pool does", () => {
    const cfg = renderRouterConfig(routes, opts);
    expect(cfg).toMatch(/^defaults\n(?: {2}.*\n)* {2}http-reuse always\n/m);
  });

  it("holds each thread on its own CPU with its own idle dyno connections, as nginx's workers are", () => {
    const cfg = renderRouterConfig(routes, opts);
    const global = cfg.slice(cfg.indexOf("global\n"), cfg.indexOf("\n\n"));
    expect(global).toContain("\n  cpu-map auto:1/1-64 0-63\n");
    expect(global).toContain("\n  tune.idle-pool.shared off\n");
    // HAProxy's own count (a thread per CPU) stays: a fixed nbthread would cap a larger machine.
    expect(cfg).not.toContain("nbthread");
  });

  it("names each server after its dyno and finds it by its release's DNS name, in dyno order", () => {
    const cfg = renderRouterConfig(routes, opts);
    const web2 = cfg.indexOf("server web.2 web.2.v7.api.dyno:5000 check");
    const web10 = cfg.indexOf("server web.10 web.10.v7.api.dyno:5000 check");
    expect(web2).toBeGreaterThan(0);
    expect(web10).toBeGreaterThan(web2);
    expect(cfg).toContain("resolvers docker");
    expect(cfg).toContain("nameserver docker 127.0.0.11:53");
  });

  it("starts a reloaded worker with the observed address, so a switch has no moment without servers", () => {
    const cfg = renderRouterConfig(routes, opts);
    expect(cfg).toMatch(/server web\.2 web\.2\.v7\.api\.dyno:5000 .* init-addr 172\.20\.0\.5,none /);
    expect(cfg).toMatch(/server web\.10 web\.10\.v7\.api\.dyno:5000 .* init-addr none /);
  });

  it("answers H14 for an app without web dynos, H10 when its dynos are down, H12 on timeout", () => {
    const cfg = renderRouterConfig(routes, opts);
    expect(cfg).toMatch(
      /backend app_idle\n {2}balance roundrobin\n {2}http-request return status 503 errorfile \/etc\/haproxy\/errors\/h14\.http/,
    );
    expect(cfg).toContain("errorfile 503 /etc/haproxy/errors/h10.http");
    expect(cfg).toContain("errorfile 504 /etc/haproxy/errors/h12.http");
    expect(cfg).toContain("timeout server 30s");
  });

  it("sets Heroku's headers, keeping a valid client X-Request-Id", () => {
    const cfg = renderRouterConfig(routes, opts);
    expect(cfg).toContain("^[A-Za-z0-9+=/-]{20,200}$");
    expect(cfg).toContain("uuid()");
    expect(cfg).toContain("http-request set-header X-Forwarded-Port 8080");
    expect(cfg).toContain("http-request set-header X-Forwarded-Proto http");
    expect(cfg).toContain("option forwardfor");
    expect(cfg).toContain('add-header Via "1.1 dynoform"');
  });

  it("logs one line per request in Heroku's format", () => {
    expect(ROUTER_LOG_FORMAT).toMatch(
      /^%\[var\(txn\.at\)\] method=%HM path="%HU" host=.* request_id=.* fwd=".*" dyno=%s connect=.* service=.* status=%\[var\(txn\.status\)\] bytes=%B protocol=%\[ssl_fc,iif\(https,http\)\]$/,
    );
    expect(renderRouterConfig(routes, opts)).toContain(`log-format '${ROUTER_LOG_FORMAT}'`);
  });

  it("refuses connections from outside a space's trusted ranges", () => {
    expect(renderRouterConfig(routes, { ...opts, trustedSources: ["203.0.113.0/24", "10.0.0.1/32"] })).toContain(
      "tcp-request connection reject unless { src 10.0.0.1/32 203.0.113.0/24 }",
    );
    expect(renderRouterConfig(routes, opts)).not.toContain("tcp-request connection reject");
  });

  it("keeps query strings out of a Shield router's log", () => {
    const cfg = renderRouterConfig(routes, { ...opts, redactQueryStrings: true });
    expect(cfg).toContain('path="%HP"');
    expect(cfg).not.toContain('path="%HU"');
  });

  it("holds requests for a sleeping Eco app while it wakes, then answers H20", () => {
    const cfg = renderRouterConfig(
      [{ app: "eco", hostnames: ["eco.x"], webPort: 5000, sleeps: true, servers: [{ dyno: "web.1", address: "web.1.v1.eco.dyno" }] }],
      opts,
    );
    expect(cfg).toContain("lua-load /etc/haproxy/wake.lua");
    expect(cfg).toContain("http-request lua.dynoform_wake app_eco eco 75 if { nbsrv(app_eco) eq 0 }");
    expect(cfg).toContain("http-request return status 503 errorfile /etc/haproxy/errors/h20.http if { var(txn.wake) -m str timeout }");
    // The engine's Eco dyno hour pool used up (wake.lua saw the manager's file): H82, no wake-up.
    expect(cfg).toContain("http-request return status 503 errorfile /etc/haproxy/errors/h82.http if { var(txn.wake) -m str exhausted }");
  });

  it("keeps request lines in a ring, not on stdout", () => {
    const cfg = renderRouterConfig(routes, opts);
    expect(cfg).toContain("log ring@requests local0");
    expect(cfg).toContain("log stdout format raw local0 notice");
    expect(cfg).toMatch(/\nring requests\n/);
  });

  it("is the same for the same routes in any order, so unchanged routes never reload differently", () => {
    expect(renderRouterConfig([...routes].reverse(), opts)).toBe(renderRouterConfig(routes, opts));
  });

  it("answers 404 for unknown hosts when there are no apps", () => {
    const cfg = renderRouterConfig([], opts);
    expect(cfg).toContain("backend no_such_app");
    expect(cfg).not.toContain("use_backend");
  });

  it("names backends safely", () => {
    expect(backendName("my-app")).toBe("app_my_app");
  });
});

describe("router error pages", () => {
  it("are whole HTTP responses with the code, and carry the log fragment in a header", () => {
    for (const e of Object.values(ROUTER_ERRORS)) {
      const page = renderErrorFile(e);
      const [head, body] = page.split("\r\n\r\n");
      expect(head).toMatch(new RegExp(`^HTTP/1.1 ${e.status} `));
      expect(head).toContain(`x-dynoform-log: at=${e.code === "H80" ? "info" : "error"} code=${e.code} desc="${e.desc}"`);
      expect(head).toContain(`content-length: ${Buffer.byteLength(body)}`);
      expect(body).toContain(e.code);
    }
  });

  it("use Heroku's descriptions", () => {
    expect(errorLogFragment(ROUTER_ERRORS.H12)).toBe('at=error code=H12 desc="Request timeout"');
    expect(errorLogFragment(ROUTER_ERRORS.H14)).toBe('at=error code=H14 desc="No web dynos running"');
    expect(errorLogFragment(ROUTER_ERRORS.H10)).toBe('at=error code=H10 desc="App crashed"');
  });
});

describe("renderRouter (one observation in, the whole update out)", () => {
  const routes = [
    { app: "api", hostnames: ["api.dynoform.localhost"], webPort: 5000, servers: [{ dyno: "web.1", address: "web.1.v1.api.dyno" }] },
  ];
  const empty = { domains: [], certificates: [], challenges: [], redirectApps: [] };

  it("routes an app's custom domains, and ignores a claim of an app it does not serve", () => {
    const tls = {
      ...empty,
      domains: [
        { hostname: "www.example.com", app: "api" },
        { hostname: "old.example.com", app: "gone" },
      ],
    };
    const out = renderRouter({ routes, tls, options: { publicHttpPort: 8080 } });
    expect(Object.values(out.maps ?? {}).join("")).toContain("www.example.com app_api\n");
    expect(out.config).toContain(`map(/etc/haproxy/${Object.keys(out.maps ?? {})[0]})`);
    expect(out.config).not.toContain("old.example.com");
    expect(out.tlsFiles).toEqual({});
  });

  it("writes the crt-list and the HTTPS listener only with a certificate", () => {
    const tls = {
      ...empty,
      domains: [{ hostname: "www.example.com", app: "api" }],
      certificates: [{ hostname: "www.example.com", file: "certs/www.example.com.pem", pem: "x" }],
    };
    const out = renderRouter({ routes, tls, options: { publicHttpPort: 8080, publicHttpsPort: 8443 } });
    expect(out.tlsFiles).toEqual({ "crt-list": "/etc/haproxy/tls/certs/www.example.com.pem www.example.com\n" });
    expect(out.config).toContain("bind :443 ssl crt-list /etc/haproxy/tls/crt-list");
    expect(out.config).toContain("X-Forwarded-Port 8443 if { ssl_fc }");
  });
});
