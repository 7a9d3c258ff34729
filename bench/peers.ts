/**
 * The proxies people put in front of self-hosted apps instead of Dynoform's router, each configured
 * the way its PaaS writes it, for bench/router.measure.ts. Pure: configs and Dockerfiles as text.
 */

/** One app as the peers see it: the hostname it answers and its dynos' addresses. */
export interface PeerApp {
  name: string;
  hostname: string;
  /** `ip:port` of each web dyno. */
  dynos: string[];
}

/** Where the bench puts each host's certificate and key inside a peer container. */
export const CERT_DIR = "/certs";
export const certPath = (host: string) => `${CERT_DIR}/${host}.crt`;
export const keyPath = (host: string) => `${CERT_DIR}/${host}.key`;

/** Debian's packages only; what their maintainer scripts start at install is never run. */
export const PEER_DOCKERFILES = {
  nginx: `FROM debian:bookworm-slim
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx \\
 && rm -rf /var/lib/apt/lists/* && rm -f /etc/nginx/sites-enabled/default
CMD ["nginx", "-g", "daemon off;", "-c", "/etc/nginx/bench.conf"]
`,
  caddy: `FROM debian:bookworm-slim
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends caddy \\
 && rm -rf /var/lib/apt/lists/*
CMD ["caddy", "run", "--config", "/etc/caddy/bench.Caddyfile", "--adapter", "caddyfile"]
`,
  /** Built in a context holding the binary that scripts/build-traefik.sh made. */
  traefik: `FROM debian:bookworm-slim
COPY traefik /usr/local/bin/traefik
CMD ["traefik", "--entrypoints.http.address=:80", "--entrypoints.https.address=:443", "--providers.file.filename=/etc/traefik/dynamic.yml", "--log.level=ERROR"]
`,
} as const;

const upstreamName = (a: PeerApp) => `${a.name}-5000`;

/**
 * nginx as Dokku's templates configure it: an upstream per app with its dynos and keep-alive, a
 * server per app host on 80 and 443, an access log per app, Dokku's forwarded headers.
 */
export function renderNginx(apps: PeerApp[]): string {
  const lines = [
    "worker_processes auto;",
    "pid /run/nginx.pid;",
    "events { worker_connections 4096; }",
    "http {",
    "  include /etc/nginx/mime.types;",
    "  sendfile on;",
    "  tcp_nopush on;",
    "  keepalive_timeout 65;",
    "  ssl_protocols TLSv1.2 TLSv1.3;",
    "  ssl_prefer_server_ciphers on;",
    "  error_log /var/log/nginx/error.log;",
  ];
  for (const a of apps) {
    lines.push(`  upstream ${upstreamName(a)} {`, ...a.dynos.map((d) => `    server ${d};`), "    keepalive 16;", "  }");
    lines.push(
      "  server {",
      "    listen 80;",
      "    listen 443 ssl http2;",
      `    server_name ${a.hostname};`,
      `    access_log /var/log/nginx/${a.name}-access.log;`,
      `    error_log /var/log/nginx/${a.name}-error.log;`,
      `    ssl_certificate ${certPath(a.hostname)};`,
      `    ssl_certificate_key ${keyPath(a.hostname)};`,
      "    location / {",
      `      proxy_pass http://${upstreamName(a)};`,
      "      proxy_http_version 1.1;",
      '      proxy_set_header Connection "";',
      "      proxy_set_header Host $http_host;",
      "      proxy_set_header X-Forwarded-For $remote_addr;",
      "      proxy_set_header X-Forwarded-Port $server_port;",
      "      proxy_set_header X-Forwarded-Proto $scheme;",
      "      proxy_set_header X-Request-Start $msec;",
      "    }",
      "  }",
    );
  }
  lines.push("}", "");
  return lines.join("\n");
}

/** Caddy: a site per app host (HTTP and HTTPS with the bench's certificate), `reverse_proxy` to its dynos, defaults otherwise. */
export function renderCaddyfile(apps: PeerApp[]): string {
  const lines = ["{", "  admin off", "  auto_https off", "}", ""];
  for (const a of apps) {
    // One site per scheme: Caddy refuses TLS settings on a block that also serves plain HTTP.
    lines.push(
      `http://${a.hostname}:80 {`,
      `  reverse_proxy ${a.dynos.join(" ")}`,
      "}",
      `https://${a.hostname}:443 {`,
      `  tls ${certPath(a.hostname)} ${keyPath(a.hostname)}`,
      `  reverse_proxy ${a.dynos.join(" ")}`,
      "}",
      "",
    );
  }
  return lines.join("\n");
}

/** Traefik's file provider as Coolify writes it: per app a router per entrypoint and a service. */
export function renderTraefikDynamic(apps: PeerApp[]): string {
  const lines = ["http:", "  routers:"];
  for (const a of apps) {
    lines.push(
      `    ${a.name}-http:`,
      "      entryPoints: [http]",
      `      rule: "Host(\`${a.hostname}\`)"`,
      `      service: ${a.name}`,
      `    ${a.name}-https:`,
      "      entryPoints: [https]",
      `      rule: "Host(\`${a.hostname}\`)"`,
      `      service: ${a.name}`,
      "      tls: {}",
    );
  }
  lines.push("  services:");
  for (const a of apps) {
    lines.push(`    ${a.name}:`, "      loadBalancer:", "        servers:", ...a.dynos.map((d) => `          - url: "http://${d}"`));
  }
  lines.push("tls:", "  certificates:");
  for (const a of apps) lines.push(`    - certFile: ${certPath(a.hostname)}`, `      keyFile: ${keyPath(a.hostname)}`);
  lines.push("");
  return lines.join("\n");
}

/**
 * The floor: HAProxy routing by Host to the same dynos with nothing else (no log, no headers, no
 * health checks, no DNS), TLS with the same certificates. Certificates are `<host>.pem` (cert+key).
 */
export function renderMinimalHaproxy(apps: PeerApp[]): string {
  const lines = [
    "global",
    "  master-worker",
    "defaults",
    "  mode http",
    "  timeout connect 5s",
    "  timeout client 30s",
    "  timeout server 30s",
    "frontend http",
    "  bind :80",
    `  bind :443 ssl crt ${CERT_DIR}/`,
    "  use_backend %[req.hdr(host),field(1,:),lower,map(/etc/haproxy/hosts.map)]",
  ];
  for (const a of apps) {
    lines.push(`backend ${a.name}`, ...a.dynos.map((d, i) => `  server web.${i + 1} ${d}`));
  }
  lines.push("");
  return lines.join("\n");
}

export function renderMinimalHaproxyMap(apps: PeerApp[]): string {
  return `${apps.map((a) => `${a.hostname} ${a.name}`).join("\n")}\n`;
}
