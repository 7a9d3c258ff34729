import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLogs } from "../../cli/logs";
import { execIn } from "../../provider/docker/docker-exec";
import { stopDyno } from "../../provider/formations/dyno-driver";
import { docker, withDynoManagerPaused } from "../support/docker";
import { get, getUntil } from "../support/http";
import { RouterTestApp, routerLog, websocketEcho } from "../support/router-app";
import { uniqueSuffix } from "../support/pulumi";

async function logLine(router: string, requestId: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = (await routerLog(router)).find((l) => l.includes(`request_id=${requestId} `));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no router log line with request_id=${requestId}`);
}

const requestId = () => `test-${uniqueSuffix()}-${uniqueSuffix()}-${uniqueSuffix()}`;

// What the router does with requests, against the real HAProxy router and real dynos.
describe("the router speaks Heroku's HTTP", () => {
  const router = { name: `r-http-${uniqueSuffix()}`, httpPort: 8192 };
  const t = new RouterTestApp("rhttp", router);

  beforeAll(async () => {
    await t.setup();
    await t.scale(2);
    await getUntil(t.url, (r) => r.status === 200);
  });
  afterAll(() => t.cleanup());

  it("adds X-Request-Id, X-Forwarded-For, -Proto, -Port and Via", async () => {
    const r = JSON.parse((await get(`${t.url}headers`, { headers: { "X-Forwarded-For": "203.0.113.9" } })).body);
    expect(r.headers["x-request-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(r.headers["x-forwarded-proto"]).toBe("http");
    expect(r.headers["x-forwarded-port"]).toBe(String(router.httpPort));
    expect(r.headers["x-forwarded-for"]).toMatch(/^203\.0\.113\.9, \d+\.\d+\.\d+\.\d+$/);
    expect(r.headers.via).toBe("1.1 dynoform");
  });

  it("keeps a valid client X-Request-Id and replaces an invalid one", async () => {
    const valid = "abcdefghij0123456789+/=-XYZ";
    expect(JSON.parse((await get(`${t.url}headers`, { headers: { "X-Request-Id": valid } })).body).headers["x-request-id"]).toBe(valid);
    const replaced = JSON.parse((await get(`${t.url}headers`, { headers: { "X-Request-Id": "too-short" } })).body).headers["x-request-id"];
    expect(replaced).not.toBe("too-short");
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("spreads requests round robin over the web dynos", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await get(t.url)).body.trim());
    expect([...seen].sort()).toEqual(["Hello from web.1", "Hello from web.2"]);
  });

  it("passes WebSocket upgrades", async () => {
    expect(await websocketEcho(router.httpPort, t.hostname, "hello")).toMatch(/^web\.[12] echo: hello$/);
  });

  it("streams a response as the dyno writes it", async () => {
    const start = Date.now();
    const arrivals: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = require("node:http").request(
        { host: "127.0.0.1", port: router.httpPort, path: "/stream", headers: { Host: t.hostname } },
        (res: import("node:http").IncomingMessage) => {
          res.on("data", () => arrivals.push(Date.now() - start));
          res.on("end", resolve);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(arrivals.length).toBeGreaterThanOrEqual(2);
    expect(arrivals[arrivals.length - 1] - arrivals[0]).toBeGreaterThan(700);
  });

  it("logs one line per request in Heroku's router format", async () => {
    const id = requestId();
    await get(`${t.url}headers?x=1`, { headers: { "X-Request-Id": id } });
    const line = await logLine(router.name, id);
    expect(line).toMatch(
      new RegExp(
        `^at=info method=GET path="/headers\\?x=1" host=${t.hostname} request_id=${id} fwd="[\\d.]+" dyno=web\\.[12] connect=\\d+ms service=\\d+ms status=200 bytes=\\d+ protocol=http$`,
      ),
    );
  });

  it("shows its request lines in dynoform logs beside the app's, as heroku[router]", async () => {
    const id = requestId();
    await get(t.url, { headers: { "X-Request-Id": id } });
    await logLine(router.name, id);
    let out = "";
    expect(await runLogs(["--app", t.app, "-n", "500"], { stdout: (x) => (out += x), stderr: () => undefined })).toBe(0);
    expect(out).toMatch(new RegExp(`\\+00:00 heroku\\[router\\]: at=info method=GET path="/" host=${t.hostname} request_id=${id} `));
    expect(out).toMatch(/ app\[web\.[12]\]: web\.[12] listening on 5000/);
  });

  it("answers 404 for a host no app has", async () => {
    expect((await get(`http://nobody.test.localhost:${router.httpPort}/`)).status).toBe(404);
  });

  it("keeps its control channel out of the dynos' reach", async () => {
    const routerInfo = await docker.getContainer(router.name).inspect();
    const routerIp = routerInfo.NetworkSettings.Networks[t.network].IPAddress;
    const gateway = (await docker.getNetwork(t.network).inspect()).IPAM?.Config?.[0]?.Gateway;
    const probe = `
      const net = require("net"); const fs = require("fs");
      const targets = ${JSON.stringify([...[22, 81, 443, 1936, 2375, 8404, 9000].map((p) => [routerIp, p]), [gateway, 2375], [gateway, 2376]])};
      Promise.all(targets.map(([host, port]) => new Promise((r) => { const s = net.connect({ host, port, timeout: 1500 }); s.on("connect", () => { s.destroy(); r(host + ":" + port + " open"); }); s.on("error", () => r(null)); s.on("timeout", () => { s.destroy(); r(null); }); })))
        .then((open) => console.log(JSON.stringify({ open: open.filter(Boolean), socket: fs.existsSync("/var/run/docker.sock") })));`;
    const r = await execIn(docker.getContainer(`${t.app}.web.1`), ["node", "-e", probe]);
    expect(JSON.parse(r.output.trim())).toEqual({ open: [], socket: false });
  });

  it("answers 503 H12 when a dyno takes more than 30 s to respond, and logs it", async () => {
    const id = requestId();
    const started = Date.now();
    const r = await get(`${t.url}sleep/40`, { headers: { "X-Request-Id": id }, timeoutMs: 45_000 });
    expect(r.status).toBe(503);
    expect(r.body).toContain("H12");
    expect(r.headers["x-dynoform-log"]).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(29_000);
    expect(await logLine(router.name, id)).toMatch(
      /^at=error code=H12 desc="Request timeout" method=GET path="\/sleep\/40" .* dyno=web\.[12] .* status=503 /,
    );
  }, 60_000);

  it("answers 503 H10 when the app's web dynos have crashed, and logs it", async () => {
    // Crashed dynos wait out a cool-off on Heroku; here the dyno manager, when another test left
    // it running, restarts a first crash at once. Paused, it stands for the cool-off.
    await withDynoManagerPaused(async () => {
      try {
        await Promise.all([1, 2].map((i) => docker.getContainer(`${t.app}.web.${i}`).kill({ signal: "SIGKILL" })));
        const r = await getUntil(t.url, (x) => x.status === 503);
        expect(r.body).toContain("H10");
        const id = requestId();
        await get(t.url, { headers: { "X-Request-Id": id } });
        expect(await logLine(router.name, id)).toMatch(/^at=error code=H10 desc="App crashed" method=GET .* status=503 /);
      } finally {
        // Gone before the manager wakes, so it has no crash left to restart (the next test wants none).
        await Promise.all([1, 2].map((i) => stopDyno(`${t.app}.web.${i}`)));
      }
    });
  });

  it("answers 503 H14 when the app has no web dynos, and logs it", async () => {
    await Promise.all([1, 2].map((i) => stopDyno(`${t.app}.web.${i}`)));
    await t.sync();
    const id = requestId();
    const r = await getUntil(t.url, (x) => x.body.includes("H14"));
    expect(r.status).toBe(503);
    await get(t.url, { headers: { "X-Request-Id": id } });
    expect(await logLine(router.name, id)).toMatch(/^at=error code=H14 desc="No web dynos running" method=GET .* status=503 /);
  });

  // Last: its reload leaves the test client's idle connections on the old worker, whose request
  // log the admin socket no longer reads.
  it("routes by Host through one host map, any case, and keeps only the map its config names", async () => {
    const upper = await get(t.url, { headers: { Host: `${t.hostname.toUpperCase()}:${router.httpPort}` } });
    // The app has no running dyno after the tests before (503), but it is routed: not "No such app" (404).
    expect(upper.status).toBe(503);
    const r = docker.getContainer(router.name);
    await execIn(r, ["sh", "-c", "echo 'stale.test.localhost app_gone' > /etc/haproxy/hosts-000000000000.map"]);
    await t.sync();
    const names = (await execIn(r, ["sh", "-c", "ls /etc/haproxy/hosts-*.map"])).output.trim().split("\n");
    expect(names).toHaveLength(1);
    expect((await execIn(r, ["cat", "/etc/haproxy/haproxy.cfg"])).output).toContain(`map(${names[0]})`);
    expect((await execIn(r, ["cat", names[0]])).output).toContain(`${t.hostname} app_`);
  });
});
