import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The App's check asks the engine which architectures it runs: an engine that does not answer
// must be one failure among the others, so a bad source or name is still reported.
describe("App check when the Docker Engine does not answer", () => {
  const saved = process.env.DOCKER_HOST;
  beforeAll(() => {
    process.env.DOCKER_HOST = "unix:///nonexistent/dynoform-test-docker.sock";
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  });

  it("reports the source problem and the engine, naming the fix", async () => {
    const { provider } = await import("../../provider/apps/app-provider");
    const news = {
      name: "api",
      sourceDir: "",
      sourceHash: "",
      build: "image" as const,
      imageRef: "",
      sourceError: 'source folder "./x" does not exist. Fix: point `source` at a folder',
      processCommands: {},
      releaseCommand: "",
      config: {},
      secrets: {},
      generation: "cedar" as const,
      hostnames: ["api.x"],
      webPort: 5000,
      router: "r",
      routerHttpPort: 1,
      routerHttpsPort: 2,
      httpsRedirect: false,
      spaceName: "",
      spaceShield: false,
    };
    const r = await provider.check!(news, news);
    expect(r.failures!.map((f) => f.reason)).toEqual([
      'App "api": source folder "./x" does not exist. Fix: point `source` at a folder',
      expect.stringMatching(
        /^App "api": could not ask the Docker Engine which architectures it runs \(.*\)\. Fix: start the Docker Engine/,
      ),
    ]);
  });
});
