import { describe, expect, it } from "vitest";
import { alertPayload, alertText, maskUrl, metricsPageUrl, scrubUrl } from "../../provider/dyno-manager/alert-payload";
import type { AlertEvent } from "../../provider/dyno-manager/alert-plan";

const fired: AlertEvent = {
  state: "fired",
  app: "api",
  processType: "web",
  metric: "p95-response-time",
  value: 1234.56,
  threshold: 500,
  windowMinutes: 1,
  atMs: Date.UTC(2026, 0, 2, 3, 4, 5),
};

describe("alertPayload", () => {
  it("has the app, process type, metric, value, threshold, window and the metrics page", () => {
    expect(alertPayload(fired, "http://127.0.0.1:9190/")).toEqual({
      event: "alert.fired",
      state: "fired",
      app: "api",
      processType: "web",
      metric: "p95-response-time",
      value: 1234.6,
      threshold: 500,
      unit: "ms",
      windowMinutes: 1,
      at: "2026-01-02T03:04:05.000Z",
      metricsUrl: "http://127.0.0.1:9190/?app=api&type=web",
      text: "Alert fired: web p95 response time 1234.6 ms, above 500 ms in every minute of 1 minute",
    });
  });

  it("says resolved, in percent for failed requests", () => {
    const resolved: AlertEvent = {
      ...fired,
      state: "resolved",
      metric: "failed-request-rate",
      value: 100 / 3,
      threshold: 5,
      windowMinutes: 10,
    };
    expect(alertPayload(resolved, "https://dash.example.com")).toMatchObject({
      event: "alert.resolved",
      unit: "%",
      value: 33.3,
      text: "Alert resolved: web failed requests 33.3%, back under 5% for 10 minutes",
    });
    expect(alertText(resolved)).toBe("Alert resolved: web failed requests 33.3%, back under 5% for 10 minutes");
  });

  it("links the page of the app's process type, names encoded", () => {
    expect(metricsPageUrl("https://d.example.com//", "my-app", "web")).toBe("https://d.example.com/?app=my-app&type=web");
  });
});

describe("webhook URLs stay hidden", () => {
  it("keeps the scheme and host, hides credentials, path and query", () => {
    expect(maskUrl("https://hooks.slack.com/services/T000/B000/XXXXSECRET")).toBe("https://hooks.slack.com/…");
    expect(maskUrl("http://user:pass@10.0.0.1:8080/hook?token=abc")).toBe("http://10.0.0.1:8080/…");
    expect(maskUrl("not a url with secret")).toBe("(a URL, hidden)");
  });

  it("scrubs an error message that quotes the URL", () => {
    const url = "https://h.example.com/t/SECRET";
    expect(scrubUrl(`request to ${url} failed, reason: timeout`, url)).toBe("request to https://h.example.com/… failed, reason: timeout");
    expect(scrubUrl("ECONNREFUSED 172.17.0.1:9", "")).toBe("ECONNREFUSED 172.17.0.1:9");
  });

  it("says a notice that autoscaling reached its maximum, with its own event name", () => {
    const notice = {
      state: "notice" as const,
      app: "api",
      processType: "web",
      metric: "autoscaling-max-reached" as const,
      value: 912.4,
      threshold: 300,
      windowMinutes: 60,
      atMs: Date.parse("2026-11-26T10:00:00Z"),
      max: 10,
    };
    const p = alertPayload(notice, "http://127.0.0.1:9190");
    expect(p.event).toBe("autoscaling.max-reached");
    expect(p.text).toBe("Autoscaling reached its maximum: web at 10 dynos, p95 response time 912.4 ms against a target of 300 ms");
    expect(p.metricsUrl).toBe("http://127.0.0.1:9190/?app=api&type=web");
  });
});
