import { describe, expect, it } from "vitest";
import {
  formatLogLine,
  lastLines,
  swarmLogLines,
  parseLogsArgs,
  mergeLogLines,
  parseTimestamped,
  routerLinesFor,
  SeenLines,
  type LogLine,
} from "../../cli/logs";
import { servesHost } from "../../provider/router/host-routes";

describe("dynoform logs", () => {
  it("parses Docker's timestamped lines", () => {
    expect(parseTimestamped("2026-01-01T12:00:00.123456789Z hello world\n2026-01-01T12:00:01.5Z bye\r\n", "app[web.1]")).toEqual([
      { time: "2026-01-01T12:00:00.123456789Z", source: "app[web.1]", text: "hello world" },
      { time: "2026-01-01T12:00:01.500000000Z", source: "app[web.1]", text: "bye" },
    ]);
  });

  it("interleaves dynos by time, keeping each dyno's order for equal times", () => {
    const web1 = parseTimestamped("2026-01-01T12:00:00.1Z a\n2026-01-01T12:00:00.3Z c\n", "app[web.1]");
    const web2 = parseTimestamped("2026-01-01T12:00:00.2Z b\n2026-01-01T12:00:00.3Z d\n", "app[web.2]");
    expect(mergeLogLines([web1, web2]).map((l) => l.text)).toEqual(["a", "b", "c", "d"]);
  });

  it("orders by time though Docker trims trailing zeros and the router writes microseconds", () => {
    const dyno = parseTimestamped("2026-01-01T12:00:00.12345Z later\n", "app[web.1]");
    const router = parseTimestamped("2026-01-01T12:00:00.1234Z earlier\n2026-01-01T12:00:00.123456Z last\n", "heroku[router]");
    expect(mergeLogLines([dyno, router]).map((l) => l.text)).toEqual(["earlier", "later", "last"]);
  });

  it("-n 0 shows no line, not every line", () => {
    expect(lastLines([1, 2, 3], 0)).toEqual([]);
    expect(lastLines([1, 2, 3], 2)).toEqual([2, 3]);
    expect(lastLines([1, 2, 3], 5)).toEqual([1, 2, 3]);
  });

  it("prints Heroku's format", () => {
    expect(formatLogLine({ time: "2026-01-01T12:00:00.123456789Z", source: "app[web.1]", text: "hi" })).toBe(
      "2026-01-01T12:00:00.123456+00:00 app[web.1]: hi",
    );
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
    expect(formatLogLine(kept[0])).toMatch(
      /^2026-01-01T12:00:00\.100000\+00:00 heroku\[router\]: at=info method=GET path="\/" host=api\.dynoform\.localhost /,
    );
  });
});

describe("custom domains in dynoform logs", () => {
  const routes = [
    { app: "shop", hostnames: ["shop.dynoform.localhost", "www.shop.example", "*.shop.example"] },
    { app: "admin", hostnames: ["admin.dynoform.localhost", "admin.shop.example"] },
    { app: "wide", hostnames: ["*.example"] },
  ];

  it("keeps the router's lines for the app's custom domains", () => {
    const lines = parseTimestamped(
      ["www.shop.example", "admin.shop.example", "eu.shop.example"]
        .map((h, i) => `2026-01-01T12:00:0${i}Z at=info method=GET path="/" host=${h} status=200`)
        .join("\n"),
      "router",
    );
    expect(routerLinesFor(lines, (h) => servesHost(routes, "shop", h)).map((l) => /host=(\S+)/.exec(l.text)?.[1])).toEqual([
      "www.shop.example",
      "eu.shop.example",
    ]);
  });
});

describe("dynoform logs --tail prints each line once", () => {
  const line = (time: string, text: string, source = "heroku[router]"): LogLine => ({ time, source, text });

  it("drops a line offered again, from a ring dumped again or Docker's inclusive since", () => {
    const seen = new SeenLines();
    const first = [line("2026-01-01T12:00:00.000001000Z", "request_id=a"), line("2026-01-01T12:00:00.000002000Z", "request_id=b")];
    expect(first.map((l) => seen.fresh(l))).toEqual([true, true]);
    const again = [...first, line("2026-01-01T12:00:00.000003000Z", "request_id=c")];
    expect(again.filter((l) => seen.fresh(l)).map((l) => l.text)).toEqual(["request_id=c"]);
    expect(seen.fresh(line("2026-01-01T12:00:00.000001000Z", "request_id=a", "app[web.1]"))).toBe(true);
  });

  it("forgets the oldest lines past its bound", () => {
    const seen = new SeenLines(2);
    for (const t of ["a", "b", "c"]) seen.fresh(line("2026-01-01T12:00:00.000000000Z", t));
    expect(seen.fresh(line("2026-01-01T12:00:00.000000000Z", "c"))).toBe(false);
    expect(seen.fresh(line("2026-01-01T12:00:00.000000000Z", "a"))).toBe(true);
  });
});

describe("dynoform logs flags", () => {
  it("reads Heroku's long and short forms", () => {
    expect(parseLogsArgs(["--app", "shop", "-n", "5", "--tail", "--dyno", "web.2", "--source", "app", "--type", "web"])).toEqual({
      app: "shop",
      lines: 5,
      tail: true,
      filter: { dyno: "web.2", source: "app", type: "web" },
    });
    expect(parseLogsArgs(["-a", "shop", "-t", "-d", "router", "-s", "heroku"])).toEqual({
      app: "shop",
      lines: 100,
      tail: true,
      filter: { dyno: "router", source: "heroku", type: undefined },
    });
  });

  it("says what is wrong with a flag", () => {
    expect(parseLogsArgs([])).toMatch(/^usage: dynoform logs --app NAME/);
    expect(parseLogsArgs(["--app", "shop", "-n", "ten"])).toMatch(/^dynoform logs: -n wants a number of lines \(0 or more\), not "ten"/);
    expect(parseLogsArgs(["--app", "shop", "--source", "router"])).toMatch(/--source is "app" .* or "heroku" .*, not "router"/);
  });
});

describe("swarmLogLines (a service's log on a Swarm manager)", () => {
  it("names each line's dyno from its task's slot", () => {
    const text = [
      "2024-01-01T12:00:00.5Z com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t2 web.2 listening on port 5000",
      "2024-01-01T12:00:01Z com.docker.swarm.node.id=n3,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t9 GET / -> 200",
    ].join("\n");
    expect(swarmLogLines(text, "web", new Map([["t2", 2]]))).toEqual([
      { time: "2024-01-01T12:00:00.500000000Z", source: "app[web.2]", text: "web.2 listening on port 5000" },
      { time: "2024-01-01T12:00:01.000000000Z", source: "app[web.?]", text: "GET / -> 200" },
    ]);
  });
});
