import { describe, expect, it } from "vitest";
import { formatLogLine, mergeLogLines, parseTimestamped, routerLinesFor } from "../../cli/logs";

describe("dynoform logs", () => {
  it("parses Docker's timestamped lines", () => {
    expect(parseTimestamped("2026-01-01T12:00:00.123456789Z hello world\n2026-01-01T12:00:01.5Z bye\r\n", "app[web.1]")).toEqual([
      { time: "2026-01-01T12:00:00.123456789Z", source: "app[web.1]", text: "hello world" },
      { time: "2026-01-01T12:00:01.5Z", source: "app[web.1]", text: "bye" },
    ]);
  });

  it("interleaves dynos by time, keeping each dyno's order for equal times", () => {
    const web1 = parseTimestamped("2026-01-01T12:00:00.1Z a\n2026-01-01T12:00:00.3Z c\n", "app[web.1]");
    const web2 = parseTimestamped("2026-01-01T12:00:00.2Z b\n2026-01-01T12:00:00.3Z d\n", "app[web.2]");
    expect(mergeLogLines([web1, web2]).map((l) => l.text)).toEqual(["a", "b", "c", "d"]);
  });

  it("prints Heroku's format", () => {
    expect(formatLogLine({ time: "2026-01-01T12:00:00.123456789Z", source: "app[web.1]", text: "hi" })).toBe("2026-01-01T12:00:00.123456+00:00 app[web.1]: hi");
  });
});

describe("router lines in dynoform logs", () => {
  it("keeps the lines about the app's hostnames, as heroku[router]", () => {
    const lines = parseTimestamped(
      [
        '2026-01-01T12:00:00.1Z at=info method=GET path="/" host=api.dynoform.localhost request_id=abc fwd="172.17.0.1" dyno=web.1 connect=0ms service=3ms status=200 bytes=120 protocol=http',
        '2026-01-01T12:00:00.2Z at=info method=GET path="/" host=other.dynoform.localhost request_id=abd fwd="172.17.0.1" dyno=web.1 connect=0ms service=3ms status=200 bytes=120 protocol=http',
        "2026-01-01T12:00:00.3Z [NOTICE]   (1) : New worker (8) forked",
      ].join("\n"),
      "router",
    );
    const kept = routerLinesFor(lines, ["API.dynoform.localhost"]);
    expect(kept.map((l) => l.source)).toEqual(["heroku[router]"]);
    expect(formatLogLine(kept[0])).toMatch(/^2026-01-01T12:00:00\.100000\+00:00 heroku\[router\]: at=info method=GET path="\/" host=api\.dynoform\.localhost /);
  });
});
