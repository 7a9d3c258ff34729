import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

const minMajor = Number(/>=\s*(\d+)/.exec(require(path.join(REPO, "package.json")).engines.node)![1]);
const major = (v: unknown) => Number(/^v(\d+)\./.exec(String(v))![1]);

// `pulumi up` starts two Node.js processes of its own: the language host runs the program, the
// engine starts `pulumi-resource-pulumi-nodejs` for the dynamic providers (all of Dynoform's
// resources). Both must run on a Node.js that @pulumi/pulumi supports, not an older system one.
describe("pulumi runs the program and the dynamic providers on Node 22+", () => {
  const stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/node-version"), `e2e-node-${uniqueSuffix()}`);
  beforeAll(async () => {
    await stack.init();
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  it("reports the Node.js versions of the language host and the dynamic provider process", async () => {
    await stack.up();
    const out = await stack.outputs();
    expect(major(out.programNode), `program ran on ${out.programNode}`).toBeGreaterThanOrEqual(minMajor);
    expect(major(out.providerNode), `dynamic provider ran on ${out.providerNode} (${out.providerNodePath})`).toBeGreaterThanOrEqual(
      minMajor,
    );
    expect(out.providerNode).toBe(process.version);
  });
});
