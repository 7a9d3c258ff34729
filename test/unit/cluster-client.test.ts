import { describe, expect, it } from "vitest";
import { clientOptions, unreachable } from "../../provider/engine/cluster-client";
import type { SwarmEngine } from "../../sdk/engine";

const engine = (host: string, tls?: SwarmEngine["tls"]): SwarmEngine => ({ kind: "swarm", host, tls, registry: { push: "r", pull: "r" } });

describe("the Swarm manager's client", () => {
  it("speaks HTTPS with the client certificates when given, plain HTTP or a socket otherwise", () => {
    expect(clientOptions(engine("tcp://m.example:2376", { ca: "CA", cert: "C", key: "K" }))).toEqual({
      host: "m.example",
      port: 2376,
      protocol: "https",
      ca: "CA",
      cert: "C",
      key: "K",
    });
    expect(clientOptions(engine("tcp://10.0.0.5:2375"))).toEqual({ host: "10.0.0.5", port: 2375, protocol: "http" });
    expect(clientOptions(engine("unix:///var/run/docker.sock"))).toEqual({ socketPath: "/var/run/docker.sock" });
  });

  it("says which manager did not answer and what to check, never the key", () => {
    const e = unreachable(
      'App "api"',
      engine("tcp://m:2376", { ca: "CA", cert: "C", key: "SECRET-KEY" }),
      Object.assign(new Error("x"), { code: "ECONNREFUSED" }),
    );
    expect(e.message).toMatch(
      /^App "api": the Swarm manager at tcp:\/\/m:2376 did not answer \(ECONNREFUSED\)\. Fix: check stack config dynoform:swarmHost/,
    );
    expect(e.message).not.toContain("SECRET-KEY");
  });
});
