import * as pulumi from "@pulumi/pulumi";
import * as dyno from "dynoform";

// A Node.js app without a Dockerfile (built on the stack image from package.json), with a web and
// a worker process from its Procfile, on Standard dynos with preboot: a new release's web dynos
// start and pass their boot check before the router switches to them.
const cfg = new pulumi.Config();

const app = new dyno.App("web-worker", {
  name: cfg.get("appName") ?? "web-worker",
  source: "./app",
  config: { GREETING: cfg.get("greeting") ?? "Hello" },
});

const formation = new dyno.Formation("web-worker", {
  app,
  processes: {
    web: { quantity: cfg.getNumber("webQuantity") ?? 2, size: "standard-1x" },
    worker: { quantity: 1, size: "standard-2x" },
  },
  preboot: true,
});

export const url = app.webUrl;
export const release = app.release;
export const processTypes = app.processTypes;
export const dynos = formation.dynos;
export const estimatedMonthlyCost = formation.estimatedMonthlyCost;
