import * as pulumi from "@pulumi/pulumi";
import * as dyno from "dynoform";

const cfg = new pulumi.Config();

const app = new dyno.App("hello", {
  name: cfg.get("appName") ?? "hello",
  source: "./app",
  config: { GREETING: cfg.get("greeting") ?? "Hello" },
});

const formation = new dyno.Formation("hello", {
  app,
  processes: { web: { quantity: cfg.getNumber("webQuantity") ?? 1, size: cfg.get("webSize") ?? "standard-1x" } },
});

export const url = app.webUrl;
export const release = app.release;
export const dynos = formation.dynos;
