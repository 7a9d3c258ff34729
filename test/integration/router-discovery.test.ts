import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDyno, stopDyno, type DynoSpec } from "../../provider/formations/dyno-driver";
import { buildImage } from "../../provider/docker/image-build";
import { LABEL } from "../../provider/docker/labels";
import { dynoAddress, ensureNetwork, removeAppNetwork, syncRouter } from "../../provider/router/router-controller";
import { docker, objectsLabelled, removeTestRouter, testDyno } from "../support/docker";
import { get, getUntil } from "../support/http";
import { REPO, uniqueSuffix } from "../support/pulumi";

// The router and dynos for real, without Pulumi: the router routes to the web dynos it observes,
// follows a dyno replaced under the same name through Docker's DNS with no reload, and goes away
// with the last app.
describe("router discovers dynos through Docker's DNS", () => {
  const app = `disc-${uniqueSuffix()}`;
  const router = { name: `r-disc-${uniqueSuffix()}`, httpPort: 8191 };
  const network = `dynoform-app-${app}`;
  const url = `http://${app}.test.localhost:${router.httpPort}/`;
  let image = "";

  const spec = (index: number): DynoSpec => testDyno(app, index, image, { aliases: [dynoAddress(app, `web.${index}`, "v1")] });

  beforeAll(async () => {
    image = (
      await buildImage(path.join(REPO, "examples/hello/app"), `dynoform/app-${app}:test`, { [LABEL.managed]: "true", [LABEL.app]: app })
    ).tag;
    await ensureNetwork(network, {
      [LABEL.managed]: "true",
      [LABEL.role]: "app-network",
      [LABEL.app]: app,
      [LABEL.hostname]: `${app}.test.localhost`,
      [LABEL.webPort]: "5000",
      [LABEL.router]: router.name,
    });
  });

  afterAll(async () => {
    const dynos = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${app}`] } });
    await Promise.all(dynos.map((d) => stopDyno(d.Id)));
    await removeAppNetwork(router, network).catch(() => undefined);
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
    await removeTestRouter(router.name);
  });

  it("answers 503 H14 with no web dynos, then serves the first dyno", async () => {
    await syncRouter(router);
    const none = await getUntil(url, (r) => r.status === 503);
    expect(none.body).toContain("H14");
    await startDyno(spec(1));
    await syncRouter(router);
    const r = await getUntil(url, (x) => x.status === 200);
    expect(r.body).toBe("Hello from web.1\n");
  });

  it("spreads requests over a second dyno after a hitless reload, without restarting", async () => {
    const before = await docker.getContainer(router.name).inspect();
    await startDyno(spec(2));
    await syncRouter(router);
    const seen = new Set<string>();
    const deadline = Date.now() + 15_000;
    while (seen.size < 2 && Date.now() < deadline) {
      const r = await get(url);
      if (r.status === 200) seen.add(r.body.trim());
      else await new Promise((res) => setTimeout(res, 100));
    }
    expect([...seen].sort()).toEqual(["Hello from web.1", "Hello from web.2"]);
    const after = await docker.getContainer(router.name).inspect();
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
  });

  it("follows a dyno replaced under the same name through DNS, without a reload", async () => {
    const workersBefore = (await docker.getContainer(router.name).top()).Processes.length;
    await stopDyno(`${app}.web.2`);
    const replaced = await startDyno(spec(2));
    const ip = (await replaced.inspect()).NetworkSettings.Networks[network].IPAddress;
    expect(ip).toBeTruthy();
    const seen = new Set<string>();
    const deadline = Date.now() + 15_000;
    while (!seen.has("Hello from web.2") && Date.now() < deadline) {
      const r = await get(url);
      if (r.status === 200) seen.add(r.body.trim());
      else await new Promise((res) => setTimeout(res, 100));
    }
    expect(seen.has("Hello from web.2")).toBe(true);
    // A reload would leave an old worker draining beside the new one.
    expect((await docker.getContainer(router.name).top()).Processes.length).toBe(workersBefore);
  });

  it("answers 404 for a host no app has", async () => {
    expect((await get(`http://nobody.test.localhost:${router.httpPort}/`)).status).toBe(404);
  });

  it("removes the router with its last app", async () => {
    const dynos = await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${app}`] } });
    await Promise.all(dynos.map((d) => stopDyno(d.Id)));
    await removeAppNetwork(router, network);
    const left = await docker.listContainers({ all: true, filters: { name: [router.name] } });
    expect(left.filter((c) => c.Names.includes(`/${router.name}`))).toEqual([]);
    expect((await objectsLabelled({ [LABEL.app]: app })).containers).toEqual([]);
  });
});
