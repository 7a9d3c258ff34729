import { describe, expect, it } from "vitest";
import { parseRequestLine, statusClass } from "../../provider/router/request-line";

describe("router request line", () => {
  it("reads Heroku's router line back", () => {
    const r = parseRequestLine(
      '2026-11-26T09:00:00.250Z at=info method=GET path="/a b" host=Api.Example.com request_id=abc fwd="127.0.0.1" dyno=web.2 connect=1ms service=42ms status=200 bytes=512 protocol=http',
    )!;
    expect(r).toMatchObject({
      host: "api.example.com",
      method: "GET",
      dyno: "web.2",
      status: 200,
      serviceMs: 42,
      connectMs: 1,
      bytes: 512,
      websocket: false,
    });
    expect(r.code).toBeUndefined();
    expect(r.atMs).toBe(Date.parse("2026-11-26T09:00:00.250Z"));
  });

  it("reads an error code and a request no dyno answered", () => {
    const r = parseRequestLine(
      '2026-11-26T09:00:00Z at=error code=H12 desc="Request timeout" method=POST path="/" host=a.localhost request_id=x fwd="1.2.3.4" dyno=<NOSRV> connect=-1ms service=-1ms status=503 bytes=0 protocol=https',
    )!;
    expect(r).toMatchObject({ code: "H12", status: 503, dyno: undefined, serviceMs: 0 });
  });

  it("marks WebSocket upgrades and skips lines that are not requests", () => {
    expect(
      parseRequestLine(
        '2026-11-26T09:00:00Z at=info method=GET path="/ws" host=a dyno=web.1 connect=0ms service=3ms status=101 bytes=0 protocol=http',
      )!.websocket,
    ).toBe(true);
    expect(parseRequestLine("2026-11-26T09:00:00Z Proxy http stopped (cumulated conns: FE: 1, BE: 0).")).toBeUndefined();
    expect(parseRequestLine("garbage")).toBeUndefined();
  });

  it("names status classes", () => {
    expect([101, 204, 302, 404, 503].map(statusClass)).toEqual(["1xx", "2xx", "3xx", "4xx", "5xx"]);
  });
});

describe("router request line, the router's own format in one pass", () => {
  it("reads the same as the general way", () => {
    const info =
      '2026-11-26T09:00:00.250123+00:00 at=info method=GET path="/a?b=1" host=Shop.localhost request_id=abc fwd="127.0.0.1" dyno=web.2 connect=0ms service=342ms status=404 bytes=12 protocol=http';
    const error =
      '2026-11-26T09:00:00Z at=error code=H10 desc="App crashed" method=GET path="/" host=a.localhost request_id=x fwd="1.2.3.4" dyno=<NOSRV> connect=-1ms service=-1ms status=503 bytes=0 protocol=https';
    expect(parseRequestLine(info)).toEqual({
      atMs: Date.parse("2026-11-26T09:00:00.250Z"),
      host: "shop.localhost",
      method: "GET",
      dyno: "web.2",
      status: 404,
      serviceMs: 342,
      connectMs: 0,
      bytes: 12,
      code: undefined,
      websocket: false,
    });
    expect(parseRequestLine(error)).toMatchObject({ code: "H10", status: 503, dyno: undefined, serviceMs: 0, connectMs: 0 });
    // A path with a quote in it: the general way still reads it.
    expect(parseRequestLine(info.replace('path="/a?b=1"', 'path="/a"b"'))).toMatchObject({ status: 404, serviceMs: 342 });
  });
});
