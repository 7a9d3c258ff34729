import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import * as dyno from "../../sdk";
import { programRegistry } from "../../sdk/program-registry";

/** What the mocked engine was asked to create, by resource name. */
const created = new Map<string, Record<string, unknown>>();
const mocks: pulumi.runtime.Mocks = {
  newResource: (args) => {
    created.set(args.name, args.inputs);
    return { id: `${args.name}-id`, state: args.inputs };
  },
  call: () => ({}),
};

/** Runs a "program" the way one Automation API process runs one stack after another. */
async function run(project: string, stack: string, program: () => void): Promise<void> {
  await pulumi.runtime.setMocks(mocks, project, stack, true);
  program();
  // Let the registrations' inputs resolve.
  await new Promise((r) => setTimeout(r, 50));
}

describe("program-wide registries are scoped per program run", () => {
  afterAll(() => created.clear());

  it("a Domain of one stack does not see another stack's claim on the same hostname", async () => {
    await run("proj", "one", () => {
      const app = new dyno.App("app-one", { name: "app-one", image: "nginx" });
      new dyno.Domain("first", { app, hostname: "www.shared.example.com" });
    });
    expect(created.get("first")?.claimError).toBe("");
    await run("proj", "two", () => {
      const app = new dyno.App("app-two", { name: "app-two", image: "nginx" });
      new dyno.Domain("second", { app, hostname: "www.shared.example.com" });
    });
    // Before: "hostname … is also declared by Domain "first" in this program".
    expect(created.get("second")?.claimError).toBe("");
  });

  it("an App declared by an earlier run is not found by name in a later one", async () => {
    await run("proj", "three", () => {
      new dyno.App("api", { name: "api", image: "nginx" });
    });
    expect(programRegistry("apps").has("api")).toBe(true);
    await run("proj", "four", () => undefined);
    expect(programRegistry("apps").has("api")).toBe(false);
    // Within one run the registry answers: a Domain given the app by name reads its router.
    await run("proj", "five", () => {
      new dyno.App("web", { name: "web", image: "nginx" });
      new dyno.Domain("www", { app: "web", hostname: "www.web.example.com" });
    });
    expect(created.get("www")).toMatchObject({ app: "web", hostname: "www.web.example.com", claimError: "" });
  });

  it("two runs of the same stack in one process (each in its own Pulumi store) are apart", async () => {
    // Automation API runs every inline program inside a fresh store; this is its entry point.
    const { withLocalStorage } = require("@pulumi/pulumi/runtime/state") as { withLocalStorage: <T>(f: () => T) => T };
    const seen = await Promise.all(
      [0, 1].map((i) =>
        withLocalStorage(async () => {
          await pulumi.runtime.setMocks(mocks, "proj", "same", true);
          if (i === 0) programRegistry<string>("spaces").set("payments", "declared");
          await new Promise((r) => setTimeout(r, 10));
          return programRegistry<string>("spaces").get("payments");
        }),
      ),
    );
    expect(seen).toEqual(["declared", undefined]);
  });
});
