import { describe, expect, it } from "vitest";
import { backendName, renderHostMap, renderRouterConfig, ROUTER_LOG_FORMAT } from "../../provider/router/router-config";
import {
  hostCondition,
  hostKey,
  hostnameCovers,
  parseTlsFiles,
  renderCrtList,
  routerTlsConfig,
  tlsFile,
  withCustomDomains,
} from "../../provider/tls/router-tls";

const token = "tok_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const keyAuth = `${token}.THUMBprint_0123456789abcdefghijklmnop`;
const files = {
  [tlsFile.domain("www.example.com")]: JSON.stringify({ hostname: "www.example.com", app: "api" }),
  [tlsFile.domain("*.apps.example.com")]: JSON.stringify({ hostname: "*.apps.example.com", app: "web" }),
  [tlsFile.domain("plain.example.com")]: JSON.stringify({ hostname: "plain.example.com", app: "api" }),
  [tlsFile.domain("ghost.example.com")]: JSON.stringify({ hostname: "ghost.example.com", app: "gone" }),
  [tlsFile.certificate("www.example.com")]: "PEM",
  [tlsFile.certificate("*.apps.example.com")]: "PEM",
  [tlsFile.challenge(token)]: JSON.stringify({ hostname: "new.example.com", token, keyAuthorization: keyAuth }),
  [tlsFile.challenge("bad")]: JSON.stringify({ hostname: "x.example.com", token: 'bad token" string', keyAuthorization: "x" }),
  [tlsFile.redirect("api")]: "",
  [tlsFile.crtList]: "ignored",
};
const routes = [
  { app: "api", hostnames: ["api.dynoform.localhost"], webPort: 5000, servers: [] },
  { app: "web", hostnames: ["web.dynoform.localhost"], webPort: 5000, servers: [] },
];

describe("the router's TLS store", () => {
  it("names wildcard files without a *", () => {
    expect(hostKey("*.Example.com")).toBe("_wildcard_.example.com");
    expect(tlsFile.certificate("*.example.com")).toBe("certs/_wildcard_.example.com.pem");
  });

  it("reads back domains, certificates, challenges and redirects, dropping malformed challenges", () => {
    const s = parseTlsFiles(files);
    expect(s.domains.map((d) => d.hostname).sort()).toEqual([
      "*.apps.example.com",
      "ghost.example.com",
      "plain.example.com",
      "www.example.com",
    ]);
    expect(s.certificates.map((c) => c.hostname).sort()).toEqual(["*.apps.example.com", "www.example.com"]);
    expect(s.challenges).toEqual([{ hostname: "new.example.com", token, keyAuthorization: keyAuth }]);
    expect(s.redirectApps).toEqual(["api"]);
  });

  it("adds custom domains to their app's route and ignores claims of apps the router does not serve", () => {
    const served = withCustomDomains(routes, parseTlsFiles(files));
    expect(served[0].hostnames).toEqual(["api.dynoform.localhost", "plain.example.com", "www.example.com"]);
    expect(served[1].hostnames).toEqual(["web.dynoform.localhost", "*.apps.example.com"]);
  });

  it("matches wildcards one label deep, as TLS clients do", () => {
    expect(hostnameCovers("*.example.com", "a.example.com")).toBe(true);
    expect(hostnameCovers("*.example.com", "a.b.example.com")).toBe(false);
    expect(hostnameCovers("*.example.com", "example.com")).toBe(false);
    expect(hostnameCovers("A.example.com", "a.EXAMPLE.com")).toBe(true);
    expect(hostCondition("*.apps.example.com")).toBe("{ var(txn.host) -m reg ^[^.]+\\.apps\\.example\\.com$ }");
  });

  it("redirects only an app's hostnames that a certificate covers", () => {
    const state = parseTlsFiles(files);
    const tls = routerTlsConfig(withCustomDomains(routes, state), state);
    expect(tls.redirectHosts).toEqual(["www.example.com"]);
    expect(renderCrtList(tls)).toBe(
      "/etc/haproxy/tls/certs/_wildcard_.apps.example.com.pem *.apps.example.com\n/etc/haproxy/tls/certs/www.example.com.pem www.example.com\n",
    );
  });
});

describe("renderRouterConfig with TLS", () => {
  const state = parseTlsFiles(files);
  const served = withCustomDomains(routes, state);
  const tls = routerTlsConfig(served, state);
  const cfg = renderRouterConfig(served, { publicHttpPort: 8080, publicHttpsPort: 8443, tls, tlsMinVersion: "TLSv1.2" });

  it("listens on 443 with SNI over the crt-list, only when a certificate is installed", () => {
    expect(cfg).toContain("  bind :443 ssl crt-list /etc/haproxy/tls/crt-list alpn h2,http/1.1 ssl-min-ver TLSv1.2\n");
    const none = renderRouterConfig(routes, {
      publicHttpPort: 8080,
      publicHttpsPort: 8443,
      tls: { certificates: [], challenges: [], redirectHosts: [] },
    });
    expect(none).not.toContain(":443");
    expect(renderRouterConfig(served, { publicHttpPort: 8080, tls })).not.toContain("ssl-min-ver");
  });

  it("sets X-Forwarded-Proto https and the public HTTPS port on the TLS side, and logs protocol=https", () => {
    expect(cfg).toContain("  http-request set-header X-Forwarded-Proto http\n");
    expect(cfg).toContain("  http-request set-header X-Forwarded-Proto https if { ssl_fc }\n");
    expect(cfg).toContain("  http-request set-header X-Forwarded-Port 8443 if { ssl_fc }\n");
    expect(ROUTER_LOG_FORMAT).toMatch(/protocol=%\[ssl_fc,iif\(https,http\)\]$/);
  });

  it("answers a pending HTTP-01 challenge for its hostname only, before redirects and routing", () => {
    const answer = `  http-request return status 200 content-type text/plain string ${keyAuth} if !{ ssl_fc } { path /.well-known/acme-challenge/${token} } { var(txn.host) -m str new.example.com }`;
    expect(cfg).toContain(answer);
    expect(cfg).not.toContain("bad token");
    const redirect =
      "  http-request redirect location https://%[var(txn.host)]:8443%[capture.req.uri] code 301 if !{ ssl_fc } { var(txn.host) -m str www.example.com }";
    expect(cfg).toContain(redirect);
    expect(cfg.indexOf(answer)).toBeLessThan(cfg.indexOf(redirect));
    expect(cfg.indexOf(redirect)).toBeLessThan(cfg.indexOf("use_backend"));
  });

  it("routes custom domains by Host, exact names before wildcards", () => {
    expect(renderHostMap(served)).toContain(`www.example.com ${backendName("api")}\n`);
    const wildcard = `  use_backend ${backendName("web")} if { var(txn.host) -m reg ^[^.]+\\.apps\\.example\\.com$ }`;
    expect(cfg).toContain(wildcard);
    expect(cfg.indexOf("use_backend %[var(txn.backend)]")).toBeLessThan(cfg.indexOf(wildcard));
    expect(cfg).not.toContain("ghost.example.com");
    expect(renderHostMap(served)).not.toContain("ghost.example.com");
  });

  it("omits the port from redirects when HTTPS is on 443", () => {
    const on443 = renderRouterConfig(served, { publicHttpPort: 80, publicHttpsPort: 443, tls });
    expect(on443).toContain("redirect location https://%[var(txn.host)]%[capture.req.uri] code 301");
  });
});
