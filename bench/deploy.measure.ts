import * as path from "node:path";
import { afterAll, beforeAll, it } from "vitest";
import { get, getUntil } from "../test/support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../test/support/pulumi";
import { wrk } from "./wrk";

// Issue 5's target: a preboot release change under a steady load of at least 200 requests/s for
// its whole duration (wrk), reporting failed requests (goal 0) and the switch: when the first
// response of the new release came, and how long old and new answered side by side.
const appName = `bdep-${uniqueSuffix()}`;
const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/preboot"), `bench-${appName}`);
let url = "";

beforeAll(async () => {
  await stack.init({ appName });
  await stack.up();
  url = String((await stack.outputs()).url);
  await getUntil(url, (r) => r.status === 200);
}, 600_000);

afterAll(() => stack.cleanup());

it("preboot release change under steady load", async () => {
  const u = new URL(url);
  const stop = new AbortController();
  const load = wrk(Number(u.port), u.host, { seconds: 600, connections: 8, signal: stop.signal });
  // A second, sequential client that notes which release answered when.
  const seen: Array<{ t: number; body: string; status: number }> = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const r = await get(url, { timeoutMs: 10_000 }).catch((e: Error) => ({ status: 0, body: e.message }));
      seen.push({ t: performance.now(), body: r.body, status: r.status });
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  await new Promise((r) => setTimeout(r, 3000));
  await stack.setConfig("greeting", "Howdy");
  const upStart = performance.now();
  await stack.up();
  const upSeconds = (performance.now() - upStart) / 1000;
  await new Promise((r) => setTimeout(r, 3000));
  polling = false;
  await poller;
  stop.abort();
  const result = await load;
  const firstNew = seen.find((s) => s.body.startsWith("Howdy"));
  const lastOld = [...seen].reverse().find((s) => s.body.startsWith("Hello"));
  const pollerFailed = seen.filter((s) => s.status !== 200).length;
  console.log(
    [
      "",
      "bench/deploy (preboot, 2 web dynos, wrk -c8 for the whole deploy plus a sequential poller)",
      `load: ${result.requests} requests at ${result.requestsPerSecond.toFixed(0)} req/s (goal ≥ 200), failed ${result.failed} (goal 0); p99 ${result.p99Ms.toFixed(1)} ms`,
      `poller: ${seen.length} requests, failed ${pollerFailed}`,
      `pulumi up: ${upSeconds.toFixed(1)} s; first response of the new release ${firstNew ? ((firstNew.t - upStart) / 1000).toFixed(1) : "never"} s after up began`,
      `old and new releases answered side by side for ${firstNew && lastOld ? Math.max(0, (lastOld.t - firstNew.t) / 1000).toFixed(2) : "?"} s (the old router worker draining)`,
      "",
    ].join("\n"),
  );
});
