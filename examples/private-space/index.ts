import * as pulumi from "@pulumi/pulumi";
import * as dyno from "dynoform";

// A Private Space with two apps. Only `api` is meant for the outside (through the space's own
// router); it reaches `internal` by Heroku's space DNS name, over a network nothing else joins.
const cfg = new pulumi.Config();
const prefix = cfg.get("prefix") ?? "demo";

const space = new dyno.Space("space", {
  name: `${prefix}-space`,
  // Heroku's Trusted IP Ranges for the space's router; 127.0.0.1/32 admits this machine.
  trustedIpRanges: ["127.0.0.1/32"],
});

const internal = new dyno.App("internal", { name: `${prefix}-internal`, source: "./app", space });
new dyno.Formation("internal", { app: internal, processes: { web: { quantity: 2, size: "private-s" } } });

const api = new dyno.App("api", {
  name: `${prefix}-api`,
  source: "./app",
  space,
  // `web.<app>.app.localspace` answers with every web dyno of the app; dynos listen on port 5000.
  config: { BACKEND_URL: `http://web.${prefix}-internal.app.localspace:5000/` },
});
const formation = new dyno.Formation("api", { app: api, processes: { web: { quantity: 1, size: "private-m" } } });

export const url = api.webUrl;
export const spaceRouterPort = space.httpPort;
export const estimatedMonthlyCost = formation.estimatedMonthlyCost;
