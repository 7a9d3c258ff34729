import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execIn } from "../../provider/docker/docker-exec";
import { buildImage } from "../../provider/docker/image-build";
import { docker, objectsLabelled } from "../support/docker";
import { getUntil } from "../support/http";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

// Every kind of app source through the real Pulumi CLI: languages detected without a Dockerfile
// (built on the stack image with Debian's runtimes) and a prebuilt image.
describe("app sources end to end", () => {
  const suffix = uniqueSuffix();
  const prebuilt = `dynoform-test/prebuilt-${suffix}:1`;
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/sources"), `e2e-src-${suffix}`);

  beforeAll(async () => {
    await buildImage(path.join(REPO, "examples/hello/app"), prebuilt, {});
    await stack.init({ suffix, prebuiltImage: prebuilt });
  }, 300_000);
  afterAll(async () => {
    await stack.cleanup();
    await docker
      .getImage(prebuilt)
      .remove({ force: true })
      .catch(() => undefined);
  });

  it("builds and serves Node.js, Python, static and prebuilt-image apps", async () => {
    await stack.run(["up", "--yes", "--skip-preview"], { timeoutMs: 600_000 });
    const urls = (await stack.outputs()).urls as Record<string, string>;
    expect((await getUntil(urls.node, (r) => r.status === 200)).body).toBe("node says hi from web.1\n");
    expect((await getUntil(urls.python, (r) => r.status === 200)).body).toBe("python says hi from web.1\n");
    expect((await getUntil(urls.static, (r) => r.status === 200)).body).toContain("static says hi");
    expect((await getUntil(urls.image, (r) => r.status === 200)).body).toBe("Hello from web.1\n");
    // Buildpack images run as their `dyno` user (uid 10000), the prebuilt one (no USER) as 10000:10000.
    for (const [kind, user] of [
      ["node", "dyno"],
      ["python", "dyno"],
      ["static", "dyno"],
      ["image", "10000:10000"],
    ]) {
      const dyno = docker.getContainer(`${kind}-${suffix}.web.1`);
      const ids = (await execIn(dyno, ["sh", "-c", "echo $(id -u):$(id -g)"])).output.trim();
      expect(`${(await dyno.inspect()).Config.User} ${ids}`, kind).toBe(`${user} 10000:10000`);
    }
  }, 600_000);

  it("does not rebuild when nothing changed", async () => {
    const r = await stack.preview(["--expect-no-changes"], { allowFailure: true });
    expect(r.code).toBe(0);
  });

  it("destroy removes the built images but not the prebuilt one", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    for (const kind of ["node", "python", "static", "image"]) {
      expect(await objectsLabelled({ "dynoform.app": `${kind}-${suffix}` })).toEqual({ containers: [], networks: [], images: [] });
    }
    expect((await docker.getImage(prebuilt).inspect()).Id).toMatch(/^sha256:/);
  });
});
