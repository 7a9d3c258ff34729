import * as http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLogs } from "../../cli/logs";
import { removeReleasePhaseOutput, runReleasePhase } from "../../provider/apps/release-phase";
import { LABEL } from "../../provider/docker/labels";
import { provider as domains } from "../../provider/tls/domain-provider";
import type { DomainInputs } from "../../sdk/domain";
import { docker } from "../support/docker";
import { get, getUntil } from "../support/http";
import { RouterTestApp } from "../support/router-app";
import { uniqueSuffix } from "../support/pulumi";

function capture() {
  const io = { out: "", err: "", stdout: (t: string) => (io.out += t), stderr: (t: string) => (io.err += t) };
  return io;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const requestId = () => `logs-${uniqueSuffix()}-${uniqueSuffix()}-${uniqueSuffix()}`;
/** A GET on a new connection: a kept-alive one would still reach a stopping worker after a reload. */
function getOnNewConnection(port: number, host: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/", agent: false, headers: { Host: host, ...headers } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

async function waitFor(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// `dynoform logs` against the real router (HAProxy), real dynos and a real release phase.
describe("dynoform logs: router lines, --tail, the release phase", () => {
  const base = 8240 + 2 * Math.floor(Math.random() * 20);
  const router = { name: `r-logs-${uniqueSuffix()}`, httpPort: base };
  const t = new RouterTestApp("rlogs", router);
  const custom = `www-${uniqueSuffix()}.shop.test`;
  const domain: DomainInputs = {
    resource: "www",
    app: t.app,
    hostname: custom,
    router: router.name,
    routerHttpPort: router.httpPort,
    routerHttpsPort: 0,
    appHostname: t.hostname,
    claimError: "",
  };

  beforeAll(async () => {
    await t.setup();
    await t.scale(1);
    await getUntil(t.url, (r) => r.status === 200);
  }, 120_000);

  afterAll(async () => {
    await removeReleasePhaseOutput(t.app).catch(() => undefined);
    await domains.delete("", { ...domain, dnsTarget: "", dnsRecordType: "", dnsAddress: "" }).catch(() => undefined);
    await t.cleanup();
  }, 60_000);

  it("shows requests to the app's custom domains", async () => {
    await domains.create(domain);
    const id = requestId();
    expect((await getUntil(`http://${custom}:${router.httpPort}/`, (r) => r.status === 200)).status).toBe(200);
    await get(`http://${custom}:${router.httpPort}/custom`, { headers: { "X-Request-Id": id } });
    let out = "";
    for (let i = 0; i < 50 && !out.includes(id); i++) {
      const io = capture();
      expect(await runLogs(["--app", t.app], io)).toBe(0);
      out = io.out;
      if (!out.includes(id)) await sleep(200);
    }
    expect(out).toMatch(
      new RegExp(`\\+00:00 heroku\\[router\\]: at=info method=GET path="/custom" host=${custom.replace(/\./g, "\\.")} request_id=${id} `),
    );
  });

  it("--tail prints each router line once, across a router reload, and stops when asked", async () => {
    const io = capture();
    const stop = new AbortController();
    const tail = runLogs(["--app", t.app, "--tail", "-n", "0"], io, undefined, { signal: stop.signal });
    try {
      await sleep(1000);
      const before = requestId();
      await get(t.url, { headers: { "X-Request-Id": before } });
      await waitFor("the first request's line", () => io.out.includes(before));
      // The old follow re-read the whole ring about every 0.8 s: wait through several of those.
      await sleep(3000);
      // A reload (what every deploy does) starts a new worker with a new ring.
      await docker.getContainer(router.name).kill({ signal: "SIGUSR2" });
      await sleep(1000);
      const after = requestId();
      expect(await getOnNewConnection(router.httpPort, t.hostname, { "X-Request-Id": after })).toBe(200);
      await waitFor("the request's line after the reload", () => io.out.includes(after));
      await sleep(3000);
      expect(count(io.out, `request_id=${before} `)).toBe(1);
      expect(count(io.out, `request_id=${after} `)).toBe(1);
      const lines = io.out.trim().split("\n");
      expect(new Set(lines).size).toBe(lines.length);
    } finally {
      stop.abort();
    }
    await expect(Promise.race([tail, sleep(5000).then(() => "still running")])).resolves.toBe(0);
  }, 60_000);

  it("keeps the release phase's output as app[release.N], succeeded or failed, until the next one", async () => {
    const release = (n: number, command: string) =>
      runReleasePhase({ app: t.app, release: `v${n}`, image: t.image, command, env: { STEP: `migrate ${n}` }, network: t.network });
    await release(5, 'echo "$STEP on $DYNO"; echo "done" >&2');
    let io = capture();
    expect(await runLogs(["--app", t.app, "--dyno", "release.5"], io)).toBe(0);
    expect(
      io.out
        .split("\n")
        .map((l) => l.replace(/^\S+\+00:00 /, ""))
        .sort(),
    ).toEqual(["", "app[release.5]: done", "app[release.5]: migrate 5 on release.5"]);

    await expect(release(6, 'echo "table users is locked"; exit 3')).rejects.toThrow(/release phase of v6 .* exited with status 3/s);
    io = capture();
    expect(await runLogs(["--app", t.app], io)).toBe(0);
    expect(io.out).toMatch(/ app\[release\.6\]: table users is locked$/m);
    expect(io.out).not.toContain("app[release.5]");

    await removeReleasePhaseOutput(t.app);
    const left = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${t.app}`, `${LABEL.role}=release-phase`] } });
    expect(left).toEqual([]);
  }, 60_000);
});
