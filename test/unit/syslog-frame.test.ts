import { describe, expect, it } from "vitest";
import { framesOf, herokuTimestamp, octetFrame, overflowLine, syslogMessage } from "../../provider/dyno-manager/syslog-frame";

const TOKEN = "d.9173ea1f-6f14-4976-9cf0-7cd0dafdcdbc";

describe("syslog frames for drains", () => {
  it("writes Heroku's RFC 5424 line: the drain token as host, app/heroku as app name, the dyno as procid", () => {
    expect(syslogMessage({ t: "2026-01-01T12:00:00.123456789Z", s: "app[web.1]", m: "hello" }, TOKEN)).toBe(
      `<190>1 2026-01-01T12:00:00.123456+00:00 ${TOKEN} app web.1 - hello`,
    );
    expect(syslogMessage({ t: "2026-01-01T12:00:00Z", s: "heroku[router]", m: "at=info method=GET" }, TOKEN)).toBe(
      `<158>1 2026-01-01T12:00:00.000000+00:00 ${TOKEN} heroku router - at=info method=GET`,
    );
    expect(syslogMessage({ t: "2026-01-01T12:00:00.5Z", s: "heroku[worker.2]", m: "State changed from up to crashed" }, TOKEN)).toBe(
      `<134>1 2026-01-01T12:00:00.500000+00:00 ${TOKEN} heroku worker.2 - State changed from up to crashed`,
    );
  });

  it("counts octets in bytes, not characters", () => {
    expect(octetFrame("héllo")).toBe("6 héllo");
    const body = framesOf(
      [
        { t: "2026-01-01T12:00:00Z", s: "app[web.1]", m: "a" },
        { t: "2026-01-01T12:00:01Z", s: "app[web.2]", m: "ünï" },
      ],
      TOKEN,
      "",
    );
    // Each frame: its length, a space, exactly that many bytes.
    let rest = Buffer.from(body);
    const messages: string[] = [];
    while (rest.length > 0) {
      const sp = rest.indexOf(32);
      const n = Number(rest.subarray(0, sp).toString());
      messages.push(rest.subarray(sp + 1, sp + 1 + n).toString());
      rest = rest.subarray(sp + 1 + n);
    }
    expect(messages.map((m) => m.split(" - ")[1])).toEqual(["a", "ünï"]);
  });

  it("keeps a message on one line and header fields printable", () => {
    expect(syslogMessage({ t: "2026-01-01T12:00:00Z", s: "app[web 1]", m: "a\nb" }, TOKEN)).toMatch(/ app web_1 - a b$/);
  });

  it("says what overflowed, as Heroku's L10", () => {
    expect(overflowLine(42, "2026-01-01T12:00:00Z", "2026-01-01T12:05:00Z")).toEqual({
      t: "2026-01-01T12:05:00Z",
      s: "heroku[logplex]",
      m: "Error L10 (output buffer overflow): 42 messages dropped since 2026-01-01T12:00:00.000000+00:00.",
    });
    expect(herokuTimestamp("2026-01-01T12:00:00.1+00:00")).toBe("2026-01-01T12:00:00.100000+00:00");
  });
});
