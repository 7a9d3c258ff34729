import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { objectsLabelled } from "../support/docker";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";

// Bad programs must fail at `preview`, naming the resource, the problem and the fix, and change nothing.
describe("invalid programs fail at preview", () => {
  let stack: PulumiStack | undefined;
  afterEach(async () => {
    await stack?.cleanup();
    stack = undefined;
  });

  async function previewScenario(scenario: string) {
    const appName = `bad-${uniqueSuffix()}`;
    stack = new PulumiStack(path.join(REPO, "test/e2e/fixtures/invalid"), `e2e-${appName}`);
    await stack.init({ scenario, appName });
    const preview = await stack.preview([], { allowFailure: true });
    const upAttempt = await stack.up({ allowFailure: true, preview: true });
    return { appName, preview, upAttempt };
  }

  it("an app whose source folder does not exist", async () => {
    const { appName, preview, upAttempt } = await previewScenario("missing-source");
    expect(preview.code).not.toBe(0);
    expect(preview.output).toContain(`App "${appName}": source folder "./does-not-exist" does not exist`);
    expect(preview.output).toContain("Fix:");
    expect(upAttempt.code).not.toBe(0);
    expect(await stack!.resourceCount()).toBe(0);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });

  it("a formation with quantity -1", async () => {
    const { appName, preview, upAttempt } = await previewScenario("negative-quantity");
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(/Formation "negative", process type "web": .*quantity/);
    expect(preview.output).toContain("quantity-invalid");
    expect(upAttempt.code).not.toBe(0);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });

  it("a Private size outside a Space breaks the space-private-size rule", async () => {
    const { appName, preview, upAttempt } = await previewScenario("private-size-outside-space");
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(
      /Formation "private", process type "web": size "private-s" runs only in a Private Space \(rule space-private-size\)\. Fix: /,
    );
    expect(upAttempt.code).not.toBe(0);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });

  it("a Common Runtime size in a Shield Space breaks the space-common-size rule, and nothing is made", async () => {
    const { appName, preview, upAttempt } = await previewScenario("common-size-in-space");
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(
      /Formation "in-space", process type "web": size "standard-1x" is a Common Runtime size and cannot run in the Space ".*" \(rule space-common-size\)\. Fix: use a shield-s\/m\/l size/,
    );
    expect(upAttempt.code).not.toBe(0);
    expect(await objectsLabelled({ "dynoform.space": appName })).toEqual({ containers: [], networks: [], images: [] });
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });

  it("an Eco web with a Standard worker breaks the tier-mixing rule", async () => {
    const { appName, preview, upAttempt } = await previewScenario("eco-with-standard");
    expect(preview.code).not.toBe(0);
    expect(preview.output).toContain("tier-mixing");
    expect(preview.output).toMatch(/Formation "mixed"/);
    expect(upAttempt.code).not.toBe(0);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });
  it("threshold alerts on a Basic web break the alerts-not-allowed rule, and the webhook's token is never shown", async () => {
    const { appName, preview, upAttempt } = await previewScenario("alerts-on-basic");
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(
      /Formation "basic-alerts", process type "web": size "basic" does not allow threshold alerts \(Basic tier\) \(rule alerts-not-allowed\)\. Fix: /,
    );
    expect(preview.output + upAttempt.output).not.toContain("SECRET-TOKEN");
    expect(upAttempt.code).not.toBe(0);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });

  it("two Domains of one program claim the same hostname", async () => {
    const { appName, preview, upAttempt } = await previewScenario("duplicate-domain");
    expect(preview.code).not.toBe(0);
    expect(preview.output).toMatch(
      new RegExp(
        `Domain "(first|second)": hostname "www\\.${appName}\\.example\\.com" is also declared by Domain "(first|second)" in this program`,
      ),
    );
    expect(preview.output).toContain("(rule domain-unique). Fix:");
    expect(upAttempt.code).not.toBe(0);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
  });

  it("an ACME certificate for a wildcard domain, and an uploaded certificate that is not PEM", async () => {
    const wild = await previewScenario("acme-wildcard");
    expect(wild.preview.code).not.toBe(0);
    expect(wild.preview.output).toContain('Certificate "wild": ACME issues wildcard certificates');
    expect(wild.preview.output).toContain("(rule acme-no-wildcard). Fix:");
    await stack!.cleanup();
    const bad = await previewScenario("bad-upload");
    expect(bad.preview.code).not.toBe(0);
    expect(bad.preview.output).toContain('Certificate "www": the certificate chain holds no PEM certificate');
    expect(bad.preview.output).not.toContain("not a key");
    expect(await objectsLabelled({ "dynoform.app": bad.appName })).toEqual({ containers: [], networks: [], images: [] });
  });
});
