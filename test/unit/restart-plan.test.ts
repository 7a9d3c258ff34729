import { describe, expect, it } from "vitest";
import { commandLine, freshDynoOptions, restartTargets, type InspectedDyno } from "../../provider/formations/restart-plan";

const dynos = [
  { id: "a", dyno: "web.10", processType: "web" },
  { id: "b", dyno: "web.2", processType: "web" },
  { id: "c", dyno: "worker.1", processType: "worker" },
];

describe("restartTargets", () => {
  it("takes every dyno: web one after another in number order, the rest together", () => {
    expect(restartTargets("shop", dynos, {})).toEqual({ web: [dynos[1], dynos[0]], others: [dynos[2]] });
  });

  it("takes one process type or one dyno", () => {
    expect(restartTargets("shop", dynos, { type: "worker" })).toEqual({ web: [], others: [dynos[2]] });
    expect(restartTargets("shop", dynos, { dyno: "web.2" })).toEqual({ web: [dynos[1]], others: [] });
  });

  it("names what exists and the fix when the dyno or type is unknown", () => {
    expect(restartTargets("shop", dynos, { dyno: "web.3" })).toEqual({
      error: 'app "shop" has no dyno web.3 (it has web.2, web.10, worker.1). Fix: name one of those, as `dynoform ps` lists them',
    });
    expect(restartTargets("shop", dynos, { type: "clock" })).toEqual({
      error: 'app "shop" has no clock dynos (it has web, worker). Fix: name one of those process types',
    });
    expect(restartTargets("gone", [], {})).toMatchObject({ error: expect.stringMatching(/^app "gone" has no dynos .* Fix:/) });
    expect(restartTargets("shop", dynos, { type: "web", dyno: "web.2" })).toMatchObject({ error: expect.stringContaining("not both") });
  });
});

describe("freshDynoOptions", () => {
  const info: InspectedDyno = {
    Id: "0123456789abcdef",
    Name: "/shop.web.1",
    Config: {
      Image: "dynoform/app-shop:abc",
      Hostname: "0123456789ab",
      Env: ["GREETING=Howdy", "SECRET=new", "DYNO=web.1", "PORT=5000", "HEROKU_DNS_DYNO_NAME=1.web.shop.app.localspace", "PATH=/usr/bin"],
      Labels: { "dynoform.release": "v3", "dynoform.dyno": "web.1" },
      Cmd: ["/bin/sh", "-c", "node server.js"],
    },
    HostConfig: { Memory: 1 },
    NetworkSettings: {
      Networks: {
        "dynoform-app-shop": { Aliases: ["0123456789ab", "web.1.shop.dyno", "web.1.v3.shop.dyno"] },
        "dynoform-space-s": { Aliases: ["1.web.shop.app.localspace"] },
      },
    },
  };

  it("makes the same dyno again, stamped with the restart's time, on its first network (the others joined after)", () => {
    const f = freshDynoOptions(info, { restartedAt: "2026-01-01T00:00:00.000Z" });
    expect(f.name).toBe("shop.web.1");
    expect(f.create).toMatchObject({
      Image: "dynoform/app-shop:abc",
      Env: info.Config.Env,
      Cmd: info.Config.Cmd,
      Hostname: undefined,
      HostConfig: { Memory: 1 },
      Labels: { "dynoform.release": "v3", "dynoform.restarted-at": "2026-01-01T00:00:00.000Z" },
      NetworkingConfig: { EndpointsConfig: { "dynoform-app-shop": { Aliases: ["web.1.shop.dyno", "web.1.v3.shop.dyno"] } } },
    });
    expect(f.otherNetworks).toEqual({ "dynoform-space-s": { Aliases: ["1.web.shop.app.localspace"] } });
  });

  it("swaps image, config, release and the release's DNS name for a rollback, keeping platform variables", () => {
    const f = freshDynoOptions(info, {
      restartedAt: "t",
      swap: { release: "v4", image: "sha256:old", config: { GREETING: "Hello", DYNO: "ignored" } },
    });
    expect(f.create.Image).toBe("sha256:old");
    expect(f.create.Env).toEqual(["DYNO=web.1", "PORT=5000", "HEROKU_DNS_DYNO_NAME=1.web.shop.app.localspace", "GREETING=Hello"]);
    expect((f.create.Labels as Record<string, string>)["dynoform.release"]).toBe("v4");
    expect(f.create.NetworkingConfig).toEqual({
      EndpointsConfig: { "dynoform-app-shop": { Aliases: ["web.1.shop.dyno", "web.1.v4.shop.dyno"] } },
    });
  });

  it("prints a Procfile command as its shell line", () => {
    expect(commandLine(["/bin/sh", "-c", "perl web.pl"])).toBe("perl web.pl");
    expect(commandLine(["node", "x.js"])).toBe("node x.js");
    expect(commandLine(null)).toBe("");
  });
});
