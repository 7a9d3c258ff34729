import { describe, expect, it } from "vitest";
import {
  ASLEEP_LABEL,
  asleepReplicas,
  asleepSpec,
  awakeSpec,
  formationReplicas,
  routerRequestApp,
  swarmAppsToSleep,
  type EcoService,
} from "../../provider/engine/swarm-eco-sleep";

const MIN = 60_000;
const service = (over: Partial<EcoService> & { replicas?: number; labels?: Record<string, string> } = {}): EcoService => ({
  app: "api",
  processType: "web",
  startedAtMs: 1,
  spec: { Labels: { "dynoform.sleep-after": "1800", ...over.labels }, Mode: { Replicated: { Replicas: over.replicas ?? 1 } } },
  ...over,
});

describe("swarmAppsToSleep", () => {
  it("sleeps an Eco app whose web service had no request for its idle time, with its Eco worker", () => {
    const services = [service(), service({ processType: "worker" })];
    expect(swarmAppsToSleep(services, new Map([["api", 10 * MIN]]), 39 * MIN)).toEqual([]);
    expect(swarmAppsToSleep(services, new Map([["api", 10 * MIN]]), 40 * MIN)).toEqual(["api"]);
  });

  it("counts the newest dyno's start as activity, so a woken app is not put back to sleep at once", () => {
    expect(swarmAppsToSleep([service({ startedAtMs: 35 * MIN })], new Map(), 40 * MIN)).toEqual([]);
  });

  it("does not put a woken app back to sleep while its dyno boots (no dyno running yet)", () => {
    expect(swarmAppsToSleep([service({ startedAtMs: 0 })], new Map([["api", 10 * MIN]]), 100 * MIN)).toEqual([]);
  });

  it("never sleeps an app asleep already, one scaled to 0, or a worker-only one", () => {
    const asleep = service({ labels: { [ASLEEP_LABEL]: "1" }, replicas: 0 });
    expect(swarmAppsToSleep([asleep], new Map(), 100 * MIN)).toEqual([]);
    expect(swarmAppsToSleep([service({ replicas: 0 })], new Map(), 100 * MIN)).toEqual([]);
    expect(swarmAppsToSleep([service({ processType: "worker" })], new Map(), 100 * MIN)).toEqual([]);
  });

  it("uses the formation's idle time from the service's label", () => {
    const quick = service({ labels: { "dynoform.sleep-after": "4" } });
    expect(swarmAppsToSleep([quick], new Map([["api", 1_000]]), 4_999)).toEqual([]);
    expect(swarmAppsToSleep([quick], new Map([["api", 1_000]]), 5_000)).toEqual(["api"]);
  });
});

describe("sleeping and waking a service", () => {
  const spec = { Name: "api-web", Labels: { "dynoform.app": "api" }, Mode: { Replicated: { Replicas: 1 } } };

  it("scales to 0 and keeps the replicas on a label; waking puts them back and drops the label", () => {
    const asleep = asleepSpec(spec);
    expect(asleep.Mode).toEqual({ Replicated: { Replicas: 0 } });
    expect(asleepReplicas(asleep)).toBe(1);
    expect(asleep.Name).toBe("api-web");
    const awake = awakeSpec(asleep);
    expect(awake).toEqual(spec);
    expect(asleepReplicas(awake)).toBeUndefined();
  });

  it("reads the formation's quantity of a sleeping service from its label, so refresh sees no drift", () => {
    expect(formationReplicas(asleepSpec(spec))).toBe(1);
    expect(formationReplicas(spec)).toBe(1);
    expect(formationReplicas({ Mode: { Replicated: { Replicas: 0 } } })).toBe(0);
  });

  it("leaves an awake service as it is", () => {
    expect(awakeSpec(spec)).toBe(spec);
  });
});

describe("routerRequestApp", () => {
  it("names the app of a cluster router's request line", () => {
    const line = '10.0.0.2:41234 [26/Nov/2026:16:40:01.123] http app-eco-1x/web1 0/0/1/2/3 200 140 - - ---- 1/1/0/0/0 0/0 "GET / HTTP/1.1"';
    expect(routerRequestApp(line)).toBe("eco-1x");
  });

  it("ignores other lines: a 404 for an unknown host, the router's notices, a wake request", () => {
    expect(
      routerRequestApp(
        '10.0.0.2:41234 [26/Nov/2026:16:40:01.123] http no-such-app/<NOSRV> 0/-1/-1/-1/0 404 150 - - LR-- 1/1/0/0/0 0/0 "GET / HTTP/1.1"',
      ),
    ).toBeUndefined();
    expect(routerRequestApp("Server app-api/web3 is DOWN, reason: Socket error")).toBeUndefined();
    expect(routerRequestApp("[WARNING]  (8) : dynoform-wake app=api")).toBeUndefined();
  });
});
