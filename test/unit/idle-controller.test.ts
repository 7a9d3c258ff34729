import { describe, expect, it } from "vitest";
import { appsToSleep, wakeRequest, type IdleDyno } from "../../provider/dyno-manager/idle-controller";

const dyno = (over: Partial<IdleDyno>): IdleDyno => ({
  app: "api",
  processType: "web",
  running: true,
  startedAtMs: 0,
  sleepAfterSeconds: 1800,
  ...over,
});
const MIN = 60_000;

describe("appsToSleep", () => {
  it("sleeps an Eco app after 30 minutes without a request", () => {
    const dynos = [dyno({}), dyno({ processType: "worker" })];
    expect(appsToSleep(dynos, new Map([["api", 10 * MIN]]), 39 * MIN)).toEqual([]);
    expect(appsToSleep(dynos, new Map([["api", 10 * MIN]]), 40 * MIN)).toEqual(["api"]);
  });

  it("counts a web dyno's start as activity, so a fresh dyno is not put to sleep at once", () => {
    expect(appsToSleep([dyno({ startedAtMs: 35 * MIN })], new Map(), 40 * MIN)).toEqual([]);
  });

  it("never sleeps a worker-only app, nor an app whose web dynos sleep already", () => {
    expect(appsToSleep([dyno({ processType: "worker" })], new Map(), 100 * MIN)).toEqual([]);
    expect(appsToSleep([dyno({ running: false })], new Map(), 100 * MIN)).toEqual([]);
  });

  it("uses the formation's idle time", () => {
    expect(appsToSleep([dyno({ sleepAfterSeconds: 5, startedAtMs: 0 })], new Map(), 5_000)).toEqual(["api"]);
  });
});

describe("router log lines", () => {
  it("name the app a router wants woken", () => {
    expect(wakeRequest("dynoform-wake app=api-2")).toBe("api-2");
    expect(wakeRequest("at=info host=x")).toBeUndefined();
  });
});
