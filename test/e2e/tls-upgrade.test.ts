import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pebble } from "../support/pebble";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";
import { handshake } from "../support/tls";

/**
 * The release before ACME keys became @pulumi/tls resources (its Certificate provider made the key
 * itself). Override with DYNOFORM_UPGRADE_FROM=<commit>.
 */
const FROM = process.env.DYNOFORM_UPGRADE_FROM ?? "66b397e";

/** That release's tree, compiled, with this checkout's node_modules (plus `dynoform` pointing at it). */
function checkoutRelease(commit: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-release-"));
  execFileSync("bash", ["-c", `git -C "${REPO}" archive ${commit} | tar -x -C "${dir}"`]);
  fs.mkdirSync(path.join(dir, "node_modules"));
  for (const entry of fs.readdirSync(path.join(REPO, "node_modules"))) {
    if (entry !== "dynoform") fs.symlinkSync(path.join(REPO, "node_modules", entry), path.join(dir, "node_modules", entry));
  }
  fs.symlinkSync("..", path.join(dir, "node_modules", "dynoform"));
  execFileSync(path.join(REPO, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], { cwd: dir });
  return dir;
}

// A stack of examples/tls made by that release, then `up` with this checkout's examples/tls: the
// Certificate is updated in place, keeps serving the same certificate, and gains its key and CSR
// as tls resources; no order happens until its renewal.
describe(`examples/tls: a stack made by ${FROM} upgraded`, () => {
  const appName = `tlsup-${uniqueSuffix()}`;
  const hostname = `www.${appName}.dynoform.test`;
  const base = 8440 + 2 * Math.floor(Math.random() * 9);
  const router = { name: `r-tlsup-e2e-${uniqueSuffix()}`, httpPort: base, httpsPort: base + 1 };
  const pebble = new Pebble(router.httpPort);
  let release = "";
  let before: PulumiStack;
  let after: PulumiStack;
  let root = "";
  let fingerprint = "";

  beforeAll(async () => {
    release = checkoutRelease(FROM);
    before = new PulumiStack(path.join(release, "examples/tls"), `e2e-${appName}`);
    after = new PulumiStack(path.join(REPO, "examples/tls"), `e2e-${appName}`);
    const routerEnv = {
      DYNOFORM_ROUTER: router.name,
      DYNOFORM_ROUTER_HTTP_PORT: String(router.httpPort),
      DYNOFORM_ROUTER_HTTPS_PORT: String(router.httpsPort),
    };
    Object.assign(before.env, routerEnv);
    Object.assign(after.env, routerEnv, { PULUMI_BACKEND_URL: before.env.PULUMI_BACKEND_URL });
    await pebble.start();
    root = await pebble.root();
    await pebble.addA(hostname);
    await before.init({ appName, hostname, acmeDirectory: pebble.directoryUrl, acmeCaFile: pebble.serverCaFile, email: "ops@example.com" });
  });
  afterAll(async () => {
    // The stack's config file moved to this checkout's examples/tls; the state is shared.
    await after?.cleanup();
    await before?.cleanup();
    await pebble.stop();
    if (release) fs.rmSync(release, { recursive: true, force: true });
  });

  it("the old release issues and serves a certificate whose key its provider made", async () => {
    await before.up();
    fingerprint = String((await before.outputs()).certificateFingerprint);
    expect(await handshake(router.httpsPort, hostname, root)).toMatchObject({ authorized: true, fingerprint });
  });

  it("preview with this checkout updates the Certificate in place and creates its tls key and CSR", async () => {
    const config = `Pulumi.${after.stack}.yaml`;
    fs.renameSync(path.join(before.programDir, config), path.join(after.programDir, config));
    const preview = await after.preview(["--diff"]);
    expect(preview.output).toMatch(/~ pulumi-nodejs:dynamic\/dynoform:Certificate: \(update\)\n.*\n.*dynoform:Certificate::www\]/);
    expect(preview.output).toMatch(/\+ tls:index\/privateKey:PrivateKey: \(create\)\n.*::www-key\]/);
    expect(preview.output).not.toMatch(/dynoform:Certificate: \((replace|create-replacement|delete)/);
  });

  it("up keeps serving the same certificate, records the key and CSR, and then has no changes", async () => {
    const r = await after.up();
    expect(r.output).not.toContain("PRIVATE KEY");
    const out = await after.outputs();
    expect(out.certificateFingerprint).toBe(fingerprint);
    expect(await handshake(router.httpsPort, hostname, root)).toMatchObject({ authorized: true, fingerprint });
    const cert = JSON.parse((await after.run(["stack", "export"])).stdout).deployment.resources.find((x: { urn: string }) =>
      x.urn.endsWith("dynoform:Certificate::www"),
    );
    expect(cert.outputs.csr).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(cert.outputs.csrPrivateKey).toHaveProperty("ciphertext");
    expect((await after.preview(["--expect-no-changes"], { allowFailure: true })).code).toBe(0);
  });
});
