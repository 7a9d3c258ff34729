import { describe, expect, it } from "vitest";
import { crashLines, formatManagerLogLine, parseManagerLogLine } from "../../provider/dyno-manager/manager-log";

describe("the dyno manager's log lines for dynoform logs", () => {
  it("round-trips a line, whatever Docker put before it", () => {
    const line = { app: "api", source: "heroku[web.1]", time: "2026-01-01T12:00:00.123456789Z", text: "State changed from up to crashed" };
    const text = formatManagerLogLine(line);
    expect(text).toBe("dynoform-log app=api source=heroku[web.1] time=2026-01-01T12:00:00.123456789Z State changed from up to crashed");
    expect(parseManagerLogLine(text)).toEqual(line);
    expect(parseManagerLogLine(`2026-01-01T12:00:01Z ${text}`)).toEqual(line);
    expect(parseManagerLogLine("2026-01-01T12:00:00Z dyno manager started")).toBeUndefined();
  });

  it("keeps a dyno's output on one line", () => {
    expect(parseManagerLogLine(formatManagerLogLine({ app: "a", source: "app[web.1]", time: "t", text: "x\r\ny" }))?.text).toBe("x y");
  });

  it("says what Heroku says when a dyno crashes, with R15 for an out-of-memory kill", () => {
    expect(crashLines(1, false)).toEqual(["Process exited with status 1", "State changed from up to crashed"]);
    expect(crashLines(137, true)).toEqual([
      "Error R15 (Memory quota vastly exceeded)",
      "Process killed (out of memory)",
      "Process exited with status 137",
      "State changed from up to crashed",
    ]);
  });
});
