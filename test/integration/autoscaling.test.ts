import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPs } from "../../cli/ps";
import { readDynoManagerLog } from "../../provider/formations/dyno-manager-controller";
import { diffFormation, provider as formations } from "../../provider/formations/formation-provider";
import type { FormationInputs, FormationOutputs } from "../../sdk/formation";
import { wrk } from "../../bench/wrk";
import { docker, removeTestRouter, waitFor } from "../support/docker";
import { RouterTestApp, routerLog, websocketEcho } from "../support/router-app";
import { uniqueSuffix } from "../support/pulumi";

// Web autoscaling for real: the router's requests feed the dyno manager, which adds and removes
// web dynos of a Performance formation made by the Formation provider. DYNOFORM_TIME_SCALE=60:
// a Heroku minute is a second, so "events at least a minute apart" are a second apart here and
// "scale down after 5 calm minutes" is 5 seconds. The app answers /load in 10 ms per request it
// holds, so its p95 grows with concurrency and falls as dynos are added.
describe("web autoscaling (time scale 60: a minute is a second)", () => {
  const router = { name: `r-as-${uniqueSuffix()}`, httpPort: 8197 };
  const t = new RouterTestApp("as", router);
  const saved = process.env.DYNOFORM_TIME_SCALE;
  const autoscaling = { min: 1, max: 4, p95ResponseTimeMs: 100 };
  let inputs: FormationInputs;
  let state: FormationOutputs | undefined;

  const webDynos = async () =>
    (await docker.listContainers({ filters: { label: [`dynoform.app=${t.app}`, "dynoform.process=web"] } }))
      .map((c) => c.Labels["dynoform.dyno"])
      .sort();
  const managerLines = async () => (await readDynoManagerLog(docker, t.app, 5000)).filter((l) => l.source === "app[api]");
  const scaledTo = async () => (await managerLines()).map((l) => Number(/web@(\d+)/.exec(l.text)?.[1]));

  beforeAll(async () => {
    process.env.DYNOFORM_TIME_SCALE = "60";
    await t.setup();
    inputs = t.formationInputs("as", { web: { quantity: 1, size: "performance-m", autoscaling } });
    state = (await formations.create(inputs)).outs as FormationOutputs;
  }, 300_000);

  afterAll(async () => {
    try {
      if (state) await formations.delete!(t.app, state);
    } finally {
      await t.cleanup();
      await removeTestRouter(router.name);
      if (saved === undefined) delete process.env.DYNOFORM_TIME_SCALE;
      else process.env.DYNOFORM_TIME_SCALE = saved;
    }
  }, 120_000);

  it("leaves WebSockets out of the p95: slow upgrades add no dyno", async () => {
    expect(await webDynos()).toEqual(["web.1"]);
    // 30 upgrades answered after 1.5 s each: over the 100 ms target if they counted.
    const replies = await Promise.all(Array.from({ length: 30 }, () => websocketEcho(router.httpPort, t.hostname, "hi", "/ws?delay=1500")));
    expect(replies.every((r) => /echo: hi$/.test(r))).toBe(true);
    // Three Heroku minutes: three chances to add a dyno, had the upgrades counted.
    await new Promise((r) => setTimeout(r, 3000));
    // The router logged them (the manager reads the same lines), each with its slow service time.
    const upgrades = (await routerLog(router.name)).filter((l) => l.includes('path="/ws?delay=1500"') && l.includes("status=101"));
    expect(upgrades).toHaveLength(30);
    expect(await webDynos()).toEqual(["web.1"]);
    expect(await scaledTo()).toEqual([]);
  });

  it("adds one dyno per event under load, up to max, with no failed request; preview sees no change", async () => {
    const stop = new AbortController();
    const load = wrk(router.httpPort, t.hostname, { seconds: 90, connections: 32, path: "/load", signal: stop.signal });
    try {
      await waitFor("4 web dynos", async () => ((await webDynos()).length === 4 ? true : undefined), 80_000);
      // During the load: the state refreshed from Docker diffs clean against the program.
      const read = await formations.read!(t.app, state);
      expect(read.props?.processes.web.quantity).toBe(4);
      expect(diffFormation(read.props as FormationOutputs, inputs).changes).toBe(false);
      // Two more seconds of load, so the last dyno added serves some of it.
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      stop.abort();
    }
    const result = await load;
    expect(result.requests).toBeGreaterThan(100);
    expect(result.failed).toBe(0);
    expect(await webDynos()).toEqual(["web.1", "web.2", "web.3", "web.4"]);
    expect(await scaledTo()).toEqual([2, 3, 4]);
    // The added dynos took requests before any router reload (none ran: the runtime API added them).
    const served = new Set((await routerLog(router.name)).map((l) => /dyno=(\S+)/.exec(l)?.[1]));
    expect(["web.1", "web.2", "web.3", "web.4"].filter((d) => served.has(d))).toEqual(["web.1", "web.2", "web.3", "web.4"]);
    // One dyno per event, at least a (scaled) minute apart.
    const times = (await managerLines()).map((l) => Date.parse(l.time));
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(1000);
  }, 120_000);

  it("`dynoform ps` shows the quantity as autoscaled", async () => {
    let out = "";
    await runPs(["--app", t.app], { stdout: (s) => (out += s), stderr: (s) => (out += s) }, docker);
    expect(out).toContain(`=== ${t.app} web (performance-m): 4 (autoscaled 1–4, p95 target 100 ms)`);
  });

  it("comes back to min when the load stops, more slowly, and `up` after it changes nothing", async () => {
    // A light load (well under half the target) goes on while dynos drain and stop: none may fail.
    const stop = new AbortController();
    const light = wrk(router.httpPort, t.hostname, { seconds: 90, connections: 2, path: "/load", signal: stop.signal });
    try {
      await waitFor("1 web dyno", async () => ((await webDynos()).length === 1 ? true : undefined), 90_000);
    } finally {
      stop.abort();
    }
    const result = await light;
    expect(result.requests).toBeGreaterThan(100);
    expect(result.failed).toBe(0);
    expect(await scaledTo()).toEqual([2, 3, 4, 3, 2, 1]);
    const times = (await managerLines()).map((l) => Date.parse(l.time));
    // Down only after 5 calm (scaled) minutes, and 5 between each step down.
    for (let i = 3; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(5000);
    const read = await formations.read!(t.app, state);
    expect(diffFormation(read.props as FormationOutputs, inputs).changes).toBe(false);
    expect(await webDynos()).toEqual(["web.1"]);
  }, 120_000);

  it("applies a changed range at once at `up`: the quantity is pulled into it", async () => {
    const news = { ...inputs, processes: { web: { ...inputs.processes.web, autoscaling: { ...autoscaling, min: 2, max: 3 } } } };
    const read = await formations.read!(t.app, state);
    expect(diffFormation(read.props as FormationOutputs, news).changes).toBe(true);
    state = (await formations.update!(t.app, read.props as FormationOutputs, news)).outs as FormationOutputs;
    expect(state.processes.web.quantity).toBe(2);
    expect(await webDynos()).toEqual(["web.1", "web.2"]);
    expect(diffFormation(state, news).changes).toBe(false);
  }, 120_000);
});
