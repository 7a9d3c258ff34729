import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPs } from "../../cli/ps";
import { ensureDynoManager, removeDynoManagerIfIdle } from "../../provider/formations/dyno-manager-controller";
import { docker } from "../support/docker";
import { get, getUntil } from "../support/http";
import { uniqueSuffix } from "../support/pulumi";
import { RouterTestApp } from "../support/router-app";

async function running(name: string): Promise<boolean> {
  return (
    (
      await docker
        .getContainer(name)
        .inspect()
        .catch(() => undefined)
    )?.State.Running ?? false
  );
}

// Eco sleeping with the real router, dyno manager and Docker Engine, with an idle time of seconds.
describe("Eco dynos sleep when idle and wake on the next request", () => {
  const router = { name: `r-eco-${uniqueSuffix()}`, httpPort: 8194 };
  const t = new RouterTestApp("eco", router);
  const web1 = () => `${t.app}.web.1`;

  beforeAll(async () => {
    await t.setup();
    await ensureDynoManager();
    await t.scale(1, { size: "eco", sleepAfterSeconds: 4 });
    await getUntil(t.url, (r) => r.status === 200);
  });
  afterAll(async () => {
    await t.cleanup();
    await removeDynoManagerIfIdle();
  });

  it("stays up while requests keep coming", async () => {
    for (let i = 0; i < 6; i++) {
      expect((await get(t.url)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(await running(web1())).toBe(true);
  });

  it("sleeps after its idle time without a request, and shows as idle", async () => {
    const deadline = Date.now() + 30_000;
    while ((await running(web1())) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    expect(await running(web1())).toBe(false);
    let out = "";
    await runPs(["--app", t.app], { stdout: (s) => (out += s), stderr: () => undefined });
    expect(out).toMatch(/web\.1\s+idle\s/);
  });

  it("wakes on the next request, which is served once the dyno boots", async () => {
    const started = Date.now();
    const r = await get(t.url, { timeoutMs: 80_000 });
    expect(r.status).toBe(200);
    expect(r.body).toBe("Hello from web.1\n");
    expect(await running(web1())).toBe(true);
    expect(Date.now() - started).toBeLessThan(75_000);
  }, 90_000);
});
