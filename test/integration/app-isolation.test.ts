import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execIn } from "../../provider/docker/docker-exec";
import { startDyno, type DynoSpec } from "../../provider/formations/dyno-driver";
import { buildImage } from "../../provider/docker/image-build";
import { LABEL } from "../../provider/docker/labels";
import { ensureNetwork } from "../../provider/router/router-controller";
import { provider as appProvider } from "../../provider/apps/app-provider";
import { readBinfmt, runSupport } from "../../provider/docker/engine-architecture";
import { docker, removeTestApps, testDyno } from "../support/docker";
import { REPO, uniqueSuffix } from "../support/pulumi";

// Common Runtime isolation, by trying: a dyno of one app cannot open a connection to a dyno of
// another app, while dynos of the same app can.
describe("app isolation", () => {
  const suffix = uniqueSuffix();
  const apps = [`iso-a-${suffix}`, `iso-b-${suffix}`];
  let image = "";
  const spec = (app: string, index: number): DynoSpec => testDyno(app, index, image);
  const connect = (from: string, ip: string) =>
    execIn(docker.getContainer(from), [
      "perl",
      "-MIO::Socket::INET",
      "-e",
      `print IO::Socket::INET->new(PeerAddr => "${ip}:5000", Timeout => 3) ? "connected" : "refused: $!"`,
    ]);
  const ipOf = async (name: string, app: string) =>
    (await docker.getContainer(name).inspect()).NetworkSettings.Networks[`dynoform-app-${app}`].IPAddress;

  beforeAll(async () => {
    image = (
      await buildImage(path.join(REPO, "examples/hello/app"), `dynoform/app-iso-${suffix}:test`, {
        [LABEL.managed]: "true",
        [LABEL.app]: apps[0],
      })
    ).tag;
    for (const app of apps) {
      await ensureNetwork(`dynoform-app-${app}`, { [LABEL.managed]: "true", [LABEL.app]: app });
      await startDyno(spec(app, 1));
    }
    await startDyno(spec(apps[0], 2));
    await new Promise((r) => setTimeout(r, 1000));
  }, 120_000);

  afterAll(() => removeTestApps(apps, [image]));

  it("a dyno reaches another dyno of its own app", async () => {
    expect((await connect(`${apps[0]}.web.1`, await ipOf(`${apps[0]}.web.2`, apps[0]))).output).toBe("connected");
  });

  it("a dyno of one app cannot connect to a dyno of another app, in either direction", async () => {
    expect((await connect(`${apps[0]}.web.1`, await ipOf(`${apps[1]}.web.1`, apps[1]))).output).toMatch(/^refused/);
    expect((await connect(`${apps[1]}.web.1`, await ipOf(`${apps[0]}.web.1`, apps[0]))).output).toMatch(/^refused/);
  });
});

describe("generation check", () => {
  it("lets an ARM64 (fir) app through at preview where the engine runs ARM64, natively or emulated, and refuses it with the fix otherwise", async () => {
    const support = runSupport((await docker.info()).Architecture, "arm64", () => readBinfmt("arm64"));
    const inputs = { name: "fir-app", sourceError: "", config: {}, secrets: {}, generation: "fir" } as never;
    const { failures } = await appProvider.check(inputs, inputs);
    // The inputs are partial: only the generation's failure is looked at.
    const reasons = failures.map((f) => f.reason).filter((r) => r.includes("generation"));
    if (support.how !== "none") expect(reasons).toEqual([]);
    else
      expect(reasons.join("\n")).toMatch(
        /generation "fir" builds linux\/arm64 images, but the Docker Engine is x86_64 and cannot run them: .*Fix: run scripts\/setup.sh as root .*qemu-user-static/,
      );
  });
});
