import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execIn } from "../../provider/docker/docker-exec";
import { ALERTS_DIR } from "../../provider/dyno-manager/alert-store";
import { ALERTS_VOLUME, DYNO_MANAGER } from "../../provider/formations/dyno-manager-controller";
import { docker, objectsLabelled } from "../support/docker";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

const TOKEN = "E2E-SECRET-TOKEN";

// Threshold alerts through `pulumi up`: the provider hands the thresholds and the webhook to the
// dyno manager (a root-only file on the alerts volume), keeps the URL secret in state and preview,
// applies a threshold change without restarting a dyno, and forgets the app's alerts at destroy.
describe("threshold alerts declared on a Formation", () => {
  const appName = `alerts-${uniqueSuffix()}`;
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/alerts"), `e2e-${appName}`);
  const configFile = `${ALERTS_DIR}/apps/${appName}.json`;
  /** The file as the manager reads it, with its mode. */
  const managerConfig = async () => {
    const r = await execIn(docker.getContainer(DYNO_MANAGER), ["sh", "-c", 'stat -c %a "$0" && cat "$0"', configFile]);
    if (r.exitCode !== 0) return undefined;
    const [mode, ...json] = r.output.trim().split("\n");
    return { mode, config: JSON.parse(json.join("\n")) };
  };
  const webId = async () => (await docker.getContainer(`${appName}.web.1`).inspect()).Id;

  beforeAll(async () => {
    await stack.init({ appName, p95: "800" });
    await stack.run(["config", "set", "--secret", "webhook", `http://192.0.2.10:9/hook/${TOKEN}`]);
  });
  afterAll(async () => {
    await stack.cleanup();
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });

  it("up gives the manager the app's alerts in a root-only file; the URL is secret in the state and the output", async () => {
    const up = await stack.up({ preview: true });
    expect(up.output).not.toContain(TOKEN);
    expect(await managerConfig()).toEqual({
      mode: "600",
      config: {
        app: appName,
        alerts: { web: { p95ResponseTimeMs: 800, failedRequestPercent: 5, windowMinutes: 1 } },
        webhookUrl: `http://192.0.2.10:9/hook/${TOKEN}`,
        dashboardUrl: "http://127.0.0.1:9190",
      },
    });
    const state = (await stack.run(["stack", "export"])).stdout;
    expect(state).toContain('"p95ResponseTimeMs": 800');
    expect(state).not.toContain(TOKEN);
    const again = await stack.preview(["--expect-no-changes"], { allowFailure: true });
    expect(again.code).toBe(0);
  });

  it("a new threshold previews as an update with the URL hidden, and applies without restarting the dyno", async () => {
    const before = await webId();
    await stack.setConfig("p95", "400");
    const preview = await stack.preview(["--diff"]);
    expect(preview.output).toMatch(/~ pulumi-nodejs:dynamic\/dynoform:Formation: \(update\)/);
    expect(preview.output).toMatch(/p95ResponseTimeMs\s*:\s*800 => 400/);
    expect(preview.output).not.toContain(TOKEN);
    await stack.up();
    expect((await managerConfig())?.config.alerts.web.p95ResponseTimeMs).toBe(400);
    expect(await webId()).toBe(before);
  });

  it("destroy removes the app's alerts from the manager", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    // The manager goes too when no dyno is left on the engine; if others' dynos keep it, the file is gone.
    const manager = await docker
      .getContainer(DYNO_MANAGER)
      .inspect()
      .catch(() => undefined);
    if (manager?.State.Running) expect(await managerConfig()).toBeUndefined();
    else
      expect(
        await docker
          .getVolume(ALERTS_VOLUME)
          .inspect()
          .catch(() => undefined),
      ).toBeUndefined();
  });
});
