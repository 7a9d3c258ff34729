import { describe, expect, it } from "vitest";
import { cloneDyno, renumber } from "../../provider/dyno-manager/dyno-clone";

describe("renumber", () => {
  it("renumbers the dyno where it stands whole", () => {
    expect(renumber("web.1", "web", 1, 2)).toBe("web.2");
    expect(renumber("api.web.1", "web", 1, 2)).toBe("api.web.2");
    expect(renumber("web.1.v3.api.dyno", "web", 1, 2)).toBe("web.2.v3.api.dyno");
    expect(renumber("1.web.api.app.localspace", "web", 1, 2)).toBe("2.web.api.app.localspace");
  });

  it("leaves other numbers and names alone", () => {
    expect(renumber("web.10", "web", 1, 2)).toBe("web.10");
    expect(renumber("web.api.dyno", "web", 1, 2)).toBe("web.api.dyno");
    expect(renumber("myweb.1", "web", 1, 2)).toBe("myweb.1");
    expect(renumber("11.web.api", "web", 1, 2)).toBe("11.web.api");
  });
});

describe("cloneDyno", () => {
  const template = {
    name: "api.web.1",
    config: {
      Image: "sha256:abc",
      Hostname: "0123456789ab",
      Cmd: ["/bin/sh", "-c", "node server.js"],
      Env: ["PORT=5000", "DYNO=web.1", "HEROKU_DNS_DYNO_NAME=1.web.api.app.localspace", "NOTE=web.1 stays"],
      Labels: { "dynoform.dyno": "web.1", "dynoform.app": "api", "dynoform.release": "v3" },
    },
    hostConfig: { NetworkMode: "dynoform-app-api", Memory: 1024 },
    aliases: {
      "dynoform-space-s": ["1.web.api.app.localspace", "web.api.app.localspace"],
      "dynoform-app-api": ["web.1.api.dyno", "web.api.dyno", "web.1.v3.api.dyno"],
    },
  };
  const c = cloneDyno(template, "web", 1, 3);

  it("names the new dyno in its name, DYNO, label and aliases", () => {
    expect(c.name).toBe("api.web.3");
    expect(c.body.Env).toEqual(["PORT=5000", "DYNO=web.3", "HEROKU_DNS_DYNO_NAME=3.web.api.app.localspace", "NOTE=web.1 stays"]);
    expect(c.body.Labels).toEqual({ "dynoform.dyno": "web.3", "dynoform.app": "api", "dynoform.release": "v3" });
    expect(c.body.NetworkingConfig).toEqual({
      EndpointsConfig: { "dynoform-app-api": { Aliases: ["web.3.api.dyno", "web.api.dyno", "web.3.v3.api.dyno"] } },
    });
    expect(c.laterNetworks).toEqual({ "dynoform-space-s": ["3.web.api.app.localspace", "web.api.app.localspace"] });
  });

  it("keeps the image, command and limits, and not the hostname", () => {
    expect(c.body).toMatchObject({ Image: "sha256:abc", Cmd: template.config.Cmd, HostConfig: template.hostConfig, Hostname: undefined });
  });
});
