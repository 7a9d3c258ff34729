import { describe, expect, it } from "vitest";
import { drainTarget, drainUrlProblem, maskDrainUrl } from "../../sdk/drain-url";

describe("drain URLs", () => {
  it("accepts Heroku's three kinds, with their default ports", () => {
    expect(drainTarget("syslog://logs.example.com")).toEqual({ scheme: "syslog", host: "logs.example.com", port: 514 });
    expect(drainTarget("syslog+tls://logs.example.com:12345")).toEqual({ scheme: "syslog+tls", host: "logs.example.com", port: 12345 });
    expect(drainTarget("https://user:pw@logs.example.com/drain?token=x")).toEqual({ scheme: "https", host: "logs.example.com", port: 443 });
    for (const u of ["syslog://10.0.0.1:514", "syslog+tls://[::1]:6514", "https://logs.example.com/x?t=1"])
      expect(drainUrlProblem(u)).toBe("");
  });

  it("refuses another scheme naming the rule and the fix, without the URL's secrets", () => {
    const p = drainUrlProblem("http://user:SECRET@logs.example.com/drain?token=SECRET");
    expect(p).toMatch(/^url scheme "http:" is not supported \(rule log-drain-scheme\)\..* Fix: use one of these schemes; plain HTTP/);
    expect(p).not.toContain("SECRET");
    expect(drainUrlProblem("syslog+udp://logs.example.com")).toMatch(/never UDP/);
    expect(drainUrlProblem("ftp://x")).toMatch(/"ftp:" is not supported/);
    expect(drainUrlProblem("logs.example.com:514")).toMatch(/not supported|not a URL/);
    expect(drainUrlProblem("no url")).toMatch(/is not a URL \(rule log-drain-scheme\)/);
  });

  it("refuses a syslog URL with a path or credentials (they would be ignored)", () => {
    expect(drainUrlProblem("syslog://user:pw@logs.example.com:514")).toMatch(/a syslog drain is a host and a port only/);
    expect(drainUrlProblem("syslog+tls://logs.example.com:514/x")).toMatch(/rule log-drain-scheme/);
  });

  it("masks everything but scheme, host and port", () => {
    expect(maskDrainUrl("https://u:p@logs.example.com/drain?token=abc")).toBe("https://logs.example.com:443");
    expect(maskDrainUrl("syslog+tls://[::1]:6514")).toBe("syslog+tls://[::1]:6514");
    expect(maskDrainUrl("http://u:p@x/y")).toBe("http://…");
  });
});
