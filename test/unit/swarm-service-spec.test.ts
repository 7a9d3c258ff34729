import { describe, expect, it } from "vitest";
import {
  dedicatedCores,
  serviceName,
  serviceSpec,
  spaceHostnameProblem,
  type ProcessService,
} from "../../provider/engine/swarm-service-spec";

const web: ProcessService = {
  app: "hello",
  processType: "web",
  quantity: 3,
  size: "standard-1x",
  release: "v2",
  image: "registry:5000/dynoform/app-hello@sha256:abc",
  command: "node server.js",
  env: { GREETING: "hi" },
  network: "dynoform-app-hello",
  webPort: 5000,
  preboot: false,
  bootTimeoutSeconds: 60,
  inSpace: false,
};

describe("a process type as a Swarm service", () => {
  it("is a replicated service reached by DNS only, its dynos named web.1…web.N from the task slot", () => {
    const s = serviceSpec(web);
    expect(s.Name).toBe("hello-web");
    expect(s.Mode).toEqual({ Replicated: { Replicas: 3 } });
    expect(s.EndpointSpec).toEqual({ Mode: "dnsrr" });
    expect(s.TaskTemplate.ContainerSpec.Env).toEqual(["GREETING=hi", "PORT=5000", "DYNO=web.{{.Task.Slot}}"]);
    expect(s.TaskTemplate.ContainerSpec.Command).toEqual(["/bin/sh", "-c", "node server.js"]);
    expect(s.TaskTemplate.Networks).toEqual([{ Target: "dynoform-app-hello", Aliases: ["web.hello.dyno"] }]);
    expect(s.Labels).toMatchObject({
      "dynoform.app": "hello",
      "dynoform.process": "web",
      "dynoform.release": "v2",
      "dynoform.role": "dyno",
    });
  });

  it("keeps Heroku's stop: SIGTERM, 30 s, SIGKILL, with an init as PID 1", () => {
    const c = serviceSpec(web).TaskTemplate.ContainerSpec;
    expect([c.StopSignal, c.StopGracePeriod, c.Init]).toEqual(["SIGTERM", 30e9, true]);
  });

  it("turns the size into a memory limit (the R15 threshold), a reservation of its quota, and a pids limit", () => {
    const r = serviceSpec(web).TaskTemplate.Resources;
    expect(r.Limits).toEqual({ MemoryBytes: 1024 * 1024 * 1024, Pids: expect.any(Number) });
    expect(r.Reservations).toEqual({ MemoryBytes: 512 * 1024 * 1024 });
  });

  it("reserves cores for dedicated sizes, which keeps other dynos off them", () => {
    expect(serviceSpec({ ...web, size: "performance-m" }).TaskTemplate.Resources.Reservations.NanoCPUs).toBe(2e9);
    expect(dedicatedCores({ compute: 50, dedicated: true })).toBe(8);
    expect(dedicatedCores({ compute: 1, dedicated: false })).toBe(0);
  });

  it("updates start-first with preboot and stop-first without; only web dynos get the port check", () => {
    expect(serviceSpec(web).UpdateConfig.Order).toBe("stop-first");
    expect(serviceSpec({ ...web, preboot: true }).UpdateConfig.Order).toBe("start-first");
    expect(serviceSpec({ ...web, preboot: true, processType: "worker" }).UpdateConfig.Order).toBe("stop-first");
    expect(serviceSpec(web).TaskTemplate.ContainerSpec.Healthcheck?.StartPeriod).toBe(60e9);
    expect(serviceSpec({ ...web, processType: "worker" }).TaskTemplate.ContainerSpec.Healthcheck).toBeUndefined();
    expect(serviceSpec({ ...web, processType: "worker" }).TaskTemplate.ContainerSpec.Env).not.toContain("PORT=5000");
  });

  it("restarts crashed dynos after a pause on the Common Runtime and at once in a space", () => {
    expect(serviceSpec(web).TaskTemplate.RestartPolicy).toEqual({ Condition: "any", Delay: 20e9, MaxAttempts: 0 });
    expect(serviceSpec({ ...web, inSpace: true }).TaskTemplate.RestartPolicy.Delay).toBe(0);
  });

  it("refuses an unknown size, naming the app and process type", () => {
    expect(() => serviceSpec({ ...web, size: "huge" })).toThrow(/App "hello", process type "web": unknown dyno size "huge"/);
    expect(serviceName("api", "worker")).toBe("api-worker");
  });
});

describe("a process type of an app in a space, as a Swarm service", () => {
  const inSpace = serviceSpec({ ...web, inSpace: true, space: { network: "dynoform-space-pay" } });

  it("joins the space's overlay, answering its formation name there, and each dyno its own name (its hostname)", () => {
    expect(inSpace.TaskTemplate.Networks).toEqual([
      { Target: "dynoform-app-hello", Aliases: ["web.hello.dyno"] },
      { Target: "dynoform-space-pay", Aliases: ["web.hello.app.localspace"] },
    ]);
    expect(inSpace.TaskTemplate.ContainerSpec.Hostname).toBe("{{.Task.Slot}}.web.hello.app.localspace");
    expect(inSpace.TaskTemplate.ContainerSpec.Env).toEqual(
      expect.arrayContaining([
        "HEROKU_DNS_DYNO_NAME={{.Task.Slot}}.web.hello.app.localspace",
        "HEROKU_DNS_FORMATION_NAME=web.hello.app.localspace",
        "HEROKU_DNS_APP_NAME=hello.app.localspace",
      ]),
    );
    expect(inSpace.TaskTemplate.RestartPolicy.Delay).toBe(0);
  });

  it("has no space names on the Common Runtime", () => {
    const c = serviceSpec(web).TaskTemplate.ContainerSpec;
    expect("Hostname" in c).toBe(false);
    expect(c.Env.some((e) => e.startsWith("HEROKU_DNS_"))).toBe(false);
  });

  it("refuses at preview a process type whose dyno names would not fit in a hostname", () => {
    expect(spaceHostnameProblem("api", "a".repeat(30), "web")).toBeUndefined();
    expect(spaceHostnameProblem("api", "a".repeat(30), "w".repeat(20))).toMatch(
      /^Formation "api", process type "w+": on a Swarm a dyno's Private Space DNS name is its hostname, which Linux limits to 64 characters, and "100\.w+\.a+\.app\.localspace" has 70 \(rule swarm-space-dns-name\)\. Fix: /,
    );
  });
});
