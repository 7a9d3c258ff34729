import { describe, expect, it } from "vitest";
import { getDynoSize } from "../../sdk/dyno-sizes";
import { oneOffEnv, oneOffFromService } from "../../provider/engine/swarm-one-off";
import { serviceSpec } from "../../provider/engine/swarm-service-spec";

describe("a one-off dyno on a Swarm, from the app's service", () => {
  const spec = serviceSpec({
    app: "shop",
    processType: "web",
    quantity: 3,
    size: "standard-2x",
    release: "v7",
    image: "reg:5000/dynoform/app-shop@sha256:abc",
    env: { GREETING: "Ahoy", DATABASE_URL: "postgres://x" },
    network: "dynoform-app-shop",
    webPort: 5000,
    preboot: false,
    bootTimeoutSeconds: 60,
    inSpace: false,
  });

  it("runs the release's image by digest, with its config and secrets but no PORT and no dyno name", () => {
    const t = oneOffFromService(spec);
    expect(t.image).toBe("reg:5000/dynoform/app-shop@sha256:abc");
    expect(t.release).toBe("v7");
    expect(t.size).toBe("standard-2x");
    expect(t.env.sort()).toEqual(["DATABASE_URL=postgres://x", "GREETING=Ahoy"]);
    expect(t.shield).toBe(false);
  });

  it("gets the size's limits (no swap) and the app's network", () => {
    const size = getDynoSize("standard-2x")!;
    expect(oneOffFromService(spec).limits).toEqual({
      Memory: size.docker.memoryBytes,
      MemorySwap: size.docker.memoryBytes,
      CpuShares: size.docker.cpuShares,
      PidsLimit: size.docker.pidsLimit,
    });
    expect(oneOffFromService(spec).networks).toEqual(["dynoform-app-shop"]);
  });

  it("is refused in a Shield space", () => {
    expect(oneOffFromService({ ...spec, Labels: { ...spec.Labels, "dynoform.shield": "true" } }).shield).toBe(true);
  });

  it("drops the dynos' PORT and DYNO, keeps the rest", () => {
    expect(oneOffEnv(["PORT=5000", "DYNO=web.{{.Task.Slot}}", "A=1", "DYNOX=2"])).toEqual(["A=1", "DYNOX=2"]);
  });
});
