import { randomUUID } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { checkInputs, known, LogDrainInputsSchema } from "../../sdk/input-schemas";
import { PROVIDER_VERSION } from "../../sdk/lazy-provider";
import type { LogDrainInputs, LogDrainOutputs } from "../../sdk/log-drain";
import type { DrainConfig } from "../dyno-manager/drain-store";
import { ensureLogDrainForwarder, removeDynoManagerIfIdle } from "../formations/dyno-manager-controller";
import { readDrainConfig, removeDrainConfig, writeDrainConfig } from "./drain-config";

const configOf = (d: LogDrainInputs, token: string): DrainConfig => ({
  token,
  app: d.app,
  space: d.space,
  url: d.url,
  trustedCa: d.trustedCa,
});

/**
 * A LogDrain: a config file on the drains volume that the dyno manager (which gathers the lines)
 * and the drain forwarder (which sends them) both read. Nothing about the drain lives in Docker
 * labels: it has no container of its own.
 */
export const provider = {
  async check(_olds: LogDrainInputs, news: LogDrainInputs) {
    const what = `LogDrain "${news.resource}"`;
    // No `properties`: the engine would print the URL, which may hold a token.
    const failures = checkInputs(LogDrainInputsSchema, news as unknown as Record<string, unknown>, what);
    if (known(news.space) && known(news.spaceShield) && news.space !== "" && news.spaceShield === false) {
      failures.push({
        property: "",
        reason: `${what}: space "${news.space}" is a Private Space, and space-level drains are a Shield space feature on Heroku (rule log-drain-space-shield). Fix: drain each app of the space (\`app: myApp\`), or make the space a Shield space (\`shield: true\`)`,
      });
    }
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: LogDrainOutputs, news: LogDrainInputs): Promise<pulumi.dynamic.DiffResult> {
    // A drain's URL cannot change on Heroku either: another URL is another drain, with a new token.
    const replaces = (["app", "space", "url"] as const).filter((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0 || olds.trustedCa !== news.trustedCa, replaces };
  },

  async create(inputs: LogDrainInputs): Promise<pulumi.dynamic.CreateResult> {
    const token = `d.${randomUUID()}`;
    await ensureLogDrainForwarder();
    await writeDrainConfig(configOf(inputs, token));
    return { id: token, outs: { ...inputs, token, providerVersion: PROVIDER_VERSION } satisfies LogDrainOutputs };
  },

  async update(id: string, _olds: LogDrainOutputs, news: LogDrainInputs): Promise<pulumi.dynamic.UpdateResult> {
    await ensureLogDrainForwarder();
    await writeDrainConfig(configOf(news, id));
    return { outs: { ...news, token: id, providerVersion: PROVIDER_VERSION } satisfies LogDrainOutputs };
  },

  /** Drift: a drain whose config is gone (the manager's volume removed, say) is gone; `up` makes it again. */
  async read(id: string, props?: LogDrainOutputs): Promise<pulumi.dynamic.ReadResult<LogDrainOutputs>> {
    if (!props) return { id, props };
    const config = await readDrainConfig(id);
    if (!config) return { id: "", props: {} as LogDrainOutputs };
    return { id, props: { ...props, trustedCa: config.trustedCa } };
  },

  async delete(id: string): Promise<void> {
    await removeDrainConfig(id);
    // The last drain of an engine without dynos: nothing needs the manager or the forwarder any more.
    await removeDynoManagerIfIdle();
  },
} satisfies pulumi.dynamic.ResourceProvider<LogDrainInputs, LogDrainOutputs>;
