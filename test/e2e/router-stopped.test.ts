import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routerStatus } from "../../provider/router/router-controller";
import { docker, objectsLabelled, removeTestRouter } from "../support/docker";
import { get, getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

// `docker kill` of a router keeps it down (Docker's rule for containers stopped by hand, even
// with restart "always"): preview and refresh must show it, and the next `up` bring it back.
describe("a router stopped by hand", () => {
  const appName = `rstop-${uniqueSuffix()}`;
  const router = `r-stop-${uniqueSuffix()}`;
  const port = 8214;
  const stack = new PulumiStack(path.join(REPO, "examples/hello"), `e2e-${appName}`);
  const url = `http://${appName}.dynoform.localhost:${port}/`;

  beforeAll(async () => {
    Object.assign(stack.env, { DYNOFORM_ROUTER: router, DYNOFORM_ROUTER_HTTP_PORT: String(port), DYNOFORM_ROUTER_HTTPS_PORT: "8444" });
    await stack.init({ appName, webQuantity: "1" });
    await stack.up();
    await getUntil(url, (r) => r.status === 200);
  });
  afterAll(async () => {
    await stack.cleanup();
    await removeTestRouter(router);
  });

  it("shows in preview and refresh, and the next up brings it back (with the dyno manager down too)", async () => {
    // The dyno manager brings a killed router back by itself within seconds
    // (router-resilience.test.ts); with it down as well, only Pulumi can notice.
    await docker
      .getContainer("dynoform-dyno-manager")
      .kill()
      .catch(() => undefined);
    await docker.getContainer(router).kill();
    expect(await routerStatus(router)).toBe("stopped");
    const preview = await stack.preview(["--expect-no-changes", "--diff"], { allowFailure: true });
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/App/);
    const refresh = await stack.run(["refresh", "--yes", "--diff"]);
    expect(refresh.output).toMatch(/routerStatus.*"running".*=>.*"stopped"/);
    await stack.up();
    expect(await routerStatus(router)).toBe("running");
    expect((await getUntil(url, (r) => r.status === 200)).body).toBe("Hello from web.1\n");
    const again = await stack.preview(["--expect-no-changes"], { allowFailure: true });
    expect(again.code).toBe(0);
  });

  it("destroy leaves nothing behind", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
    expect(await routerStatus(router)).toBe("missing");
    expect(await get(url).catch((e: Error) => e)).toBeInstanceOf(Error);
  });
});
