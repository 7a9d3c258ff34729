import { describe, expect, it } from "vitest";
import { engineFromConfig } from "../../sdk/engine";

const from = (c: Record<string, string>) => engineFromConfig((k) => c[k]);

describe("the stack's engine (dynoform:engine)", () => {
  it("is one Docker Engine by default: no engine input at all", () => {
    expect(from({})).toBeUndefined();
    expect(from({ engine: "docker", swarmHost: "tcp://x:2375" })).toBeUndefined();
  });

  it("reads a Swarm's manager, TLS client certificates and registry", () => {
    expect(
      from({
        engine: "swarm",
        swarmHost: "tcp://manager:2376",
        swarmTlsCa: "CA",
        swarmTlsCert: "CERT",
        swarmTlsKey: "KEY",
        registry: "127.0.0.1:5001",
        registryPullAddress: "registry:5000",
        registryUsername: "u",
        registryPassword: "p",
      }),
    ).toEqual({
      kind: "swarm",
      host: "tcp://manager:2376",
      tls: { ca: "CA", cert: "CERT", key: "KEY" },
      registry: { push: "127.0.0.1:5001", pull: "registry:5000", username: "u", password: "p" },
    });
    expect(from({ engine: "swarm", swarmHost: "unix:///var/run/docker.sock", registry: "r:5000" })?.registry).toEqual({
      push: "r:5000",
      pull: "r:5000",
    });
  });

  it("without dynoform:registry, runs one on the cluster, pushed to through the manager", () => {
    expect(from({ engine: "swarm", swarmHost: "tcp://m:2375" })?.registry).toEqual({
      push: "",
      pull: "",
      onCluster: { host: "tcp://m:2375" },
    });
    expect(from({ engine: "swarm", swarmHost: "tcp://m:2375", registryPullAddress: "m.lan:5000" })?.registry.pull).toBe("m.lan:5000");
  });

  it("names the key and the fix for each mistake", () => {
    expect(() => from({ engine: "kubernetes" })).toThrow(/dynoform:engine is "kubernetes".*"docker" \(the default\) or "swarm"/);
    expect(() => from({ engine: "swarm", registry: "r" })).toThrow(
      /dynoform:swarmHost is not set.*Fix: pulumi config set dynoform:swarmHost/,
    );
    expect(() => from({ engine: "swarm", swarmHost: "manager:2375", registry: "r" })).toThrow(/"manager:2375".*tcp:\/\/host:port/);
    expect(() => from({ engine: "swarm", swarmHost: "tcp://m:2376", registry: "r", swarmTlsCert: "C" })).toThrow(/go together/);
  });
});
