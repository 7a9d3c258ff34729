import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runReleases, runRollback } from "../../cli/releases";
import { listReleases, recordRelease, removeAppImages, removeReleases } from "../../provider/apps/release-history";
import { buildImage } from "../../provider/docker/image-build";
import { LABEL } from "../../provider/docker/labels";
import { docker, objectsLabelled } from "../support/docker";
import { uniqueSuffix } from "../support/pulumi";

function capture() {
  const io = { out: "", err: "", stdout: (t: string) => (io.out += t), stderr: (t: string) => (io.err += t) };
  return io;
}

// `dynoform rollback` refusing what it cannot do, against real release records on the Docker
// Engine: each refusal says why and how to fix it, and leaves the releases as they were.
describe("dynoform rollback: bad input", () => {
  const app = `rb-${uniqueSuffix()}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-rollback-"));
  const images: string[] = [];
  const release = (n: number, imageId: string) =>
    recordRelease({
      app,
      release: `v${n}`,
      imageId,
      imageTag: `dynoform/app-${app}:h${n}`,
      sourceHash: `h${n}`,
      config: { GREETING: `hello ${n}` },
      secrets: {},
      releaseCommand: "",
      releasePhaseRan: false,
    });
  const state = async () => ({
    releases: (await listReleases(app)).map((r) => `${r.release} ${r.description}`),
    dynos: (await docker.listContainers({ all: true, filters: { label: [`${LABEL.app}=${app}`, `${LABEL.role}=dyno`] } })).length,
  });

  beforeAll(async () => {
    for (const n of [1, 2]) {
      fs.writeFileSync(path.join(dir, "Dockerfile"), `FROM debian:bookworm-slim\nLABEL dynoform-test-build=${n}\n`);
      const built = await buildImage(dir, `dynoform/app-${app}:h${n}`, {
        [LABEL.managed]: "true",
        [LABEL.role]: "app-image",
        [LABEL.app]: app,
      });
      images.push(built.imageId);
      await release(n, built.imageId);
    }
  }, 120_000);
  afterAll(async () => {
    await removeReleases(app);
    await removeAppImages(app, []);
    for (const id of images)
      await docker
        .getImage(id)
        .remove({ force: true })
        .catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a release it does not keep, or what is no release, naming the kept ones", async () => {
    const before = await state();
    expect(before).toEqual({ releases: ["v1 Initial release", "v2 Deploy h2; Set GREETING config vars"], dynos: 0 });
    const io = capture();
    expect(await runRollback(["--app", app, "v7"], io)).toBe(1);
    expect(io.err).toBe(
      `dynoform rollback: app "${app}" has no release v7 kept (kept: v2, v1; the last 5 are). Fix: roll back to one of those, or revert the program and run \`pulumi up\`\n`,
    );
    const word = capture();
    expect(await runRollback(["--app", app, "previous"], word)).toBe(1);
    expect(word.err).toContain('"previous" is not a release. Fix: give a version as `dynoform releases');
    const usage = capture();
    expect(await runRollback(["--app", app], usage)).toBe(2);
    expect(usage.err).toContain("usage: dynoform rollback --app NAME vN");
    expect(await state()).toEqual(before);
  });

  it("refuses an app with no releases, naming the fix", async () => {
    const io = capture();
    expect(await runRollback(["--app", `${app}-nope`, "v1"], io)).toBe(1);
    expect(io.err).toContain(
      `app "${app}-nope" has no releases on this Docker Engine, so there is nothing to roll back to. Fix: check the app's name`,
    );
  });

  it("refuses a release whose image is gone from the engine, and `releases` says it is gone", async () => {
    // `docker rmi -f` removes an image a stopped container (the release record) still uses.
    await docker.getImage(images[0]).remove({ force: true });
    const before = await state();
    const io = capture();
    expect(await runRollback(["--app", app, "v1"], io)).toBe(1);
    expect(io.err).toMatch(
      new RegExp(
        `release v1 of app "${app}" cannot be rolled back to: its image ${images[0].slice(7, 19)} is gone from the Docker Engine .*Fix: roll back to another kept release, or revert the program and run \`pulumi up\``,
      ),
    );
    expect(await state()).toEqual(before);
    const list = capture();
    await runReleases(["--app", app], list);
    expect(list.out).toMatch(/^v1\s.*\sgone$/m);
    expect(list.out).toMatch(/^v2 \(current\)\s.*\skept \([0-9a-f]{12}\)$/m);
  });

  it("leaves nothing behind", async () => {
    await removeReleases(app);
    await removeAppImages(app, []);
    expect(await objectsLabelled({ [LABEL.app]: app })).toEqual({ containers: [], networks: [], images: [] });
  });
});
