import { X509Certificate } from "node:crypto";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, objectsLabelled } from "../support/docker";
import { get, getUntil } from "../support/http";
import { Pebble } from "../support/pebble";
import { PulumiStack, REPO, uniqueSuffix } from "../support/pulumi";
import { handshake, httpsGet } from "../support/tls";

// examples/tls through the real Pulumi CLI, Docker Engine, router and ACME server (Pebble, whose
// certificates here live 20 days: inside the 30-day renewal window, so the next `up` renews), and
// the real @pulumi/tls resource plugin (installed into PULUMI_HOME by scripts/setup.sh).
describe("examples/tls end to end", () => {
  const appName = `tls-${uniqueSuffix()}`;
  const hostname = `www.${appName}.dynoform.test`;
  const internalHostname = `internal.${hostname}`; // the example's default
  const base = 8380 + 2 * Math.floor(Math.random() * 9);
  const router = { name: `r-tls-e2e-${uniqueSuffix()}`, httpPort: base, httpsPort: base + 1 };
  const pebble = new Pebble(router.httpPort, { validitySeconds: 20 * 86400 });
  const stack = new PulumiStack(path.join(REPO, "examples/tls"), `e2e-${appName}`);
  let root = "";
  let fingerprint = "";
  type StateResource = { type: string; urn: string; outputs: Record<string, unknown> };
  const state = async (): Promise<StateResource[]> =>
    JSON.parse((await stack.run(["stack", "export", "--show-secrets"])).stdout).deployment.resources;
  const leafKey = (chain: string) => new X509Certificate(chain).publicKey.export({ format: "pem", type: "spki" }).toString();

  beforeAll(async () => {
    Object.assign(stack.env, {
      DYNOFORM_ROUTER: router.name,
      DYNOFORM_ROUTER_HTTP_PORT: String(router.httpPort),
      DYNOFORM_ROUTER_HTTPS_PORT: String(router.httpsPort),
    });
    await pebble.start();
    root = await pebble.root();
    await pebble.addA(hostname);
    await stack.init({ appName, hostname, acmeDirectory: pebble.directoryUrl, acmeCaFile: pebble.serverCaFile, email: "ops@example.com" });
  });
  afterAll(async () => {
    await stack.cleanup();
    await pebble.stop();
  });

  it("up issues a certificate from the ACME server and serves the app over HTTPS by SNI", async () => {
    const r = await stack.up();
    expect(r.output).not.toContain("PRIVATE KEY");
    const out = await stack.outputs();
    expect(out).toMatchObject({
      url: `https://${hostname}:${router.httpsPort}/`,
      dnsTarget: `${appName}.dynoform.localhost`,
      dnsRecordType: "CNAME",
      certificateStatus: "issued",
    });
    expect(String(out.certificateIssuer)).toMatch(/Pebble/);
    fingerprint = String(out.certificateFingerprint);
    expect(await handshake(router.httpsPort, hostname, root)).toMatchObject({ authorized: true, fingerprint });
    const res = await httpsGet(router.httpsPort, hostname, "/", root);
    expect(res).toMatchObject({ status: 200, body: "Hello from web.1\n" });
  });

  it("serves the internal hostname with the certificate issued by the private CA made with @pulumi/tls", async () => {
    const out = await stack.outputs();
    expect(out).toMatchObject({
      internalUrl: `https://${internalHostname}:${router.httpsPort}/`,
      internalCertificateIssuer: "CN=Dynoform example private CA",
    });
    const ca = String(out.privateCaCertificate);
    expect(await handshake(router.httpsPort, internalHostname, ca)).toMatchObject({
      authorized: true,
      fingerprint: out.internalCertificateFingerprint,
    });
    expect(await httpsGet(router.httpsPort, internalHostname, "/", ca)).toMatchObject({ status: 200, body: "Hello from web.1\n" });
  });

  it("requests the ACME certificate with its tls.PrivateKey (ECDSA P-256) and tls.CertRequest", async () => {
    const resources = await state();
    const key = resources.find((r) => r.type === "tls:index/privateKey:PrivateKey" && r.urn.endsWith("::www-key"))!;
    expect(key.outputs).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(resources.some((r) => r.type === "tls:index/certRequest:CertRequest" && r.urn.endsWith("::www-csr"))).toBe(true);
    const cert = resources.find((r) => r.type === "pulumi-nodejs:dynamic/dynoform:Certificate" && r.urn.endsWith("::www"))!;
    expect(leafKey(String(cert.outputs.certificateChain))).toBe(key.outputs.publicKeyPem);
  });

  it("redirects plain HTTP on the custom domain to HTTPS", async () => {
    const r = await getUntil(`http://${hostname}:${router.httpPort}/x?y=1`, (x) => x.status === 301);
    expect(r.headers.location).toBe(`https://${hostname}:${router.httpsPort}/x?y=1`);
  });

  it("keeps the ACME account key and the certificate's private key secret in the state", async () => {
    const exported = (await stack.run(["stack", "export"])).stdout;
    expect(exported).toContain("-----BEGIN CERTIFICATE-----");
    expect(exported).not.toContain("PRIVATE KEY");
    const resources: StateResource[] = JSON.parse(exported).deployment.resources;
    const cert = resources.find((x) => x.type === "pulumi-nodejs:dynamic/dynoform:Certificate" && x.urn.endsWith("::www"))!;
    expect(cert.outputs.privateKey).toHaveProperty("ciphertext");
    expect(cert.outputs.accountKey).toHaveProperty("ciphertext");
    expect(cert.outputs.csrPrivateKey).toHaveProperty("ciphertext");
    const keys = resources.filter((x) => x.type === "tls:index/privateKey:PrivateKey");
    expect(keys.map((k) => k.urn.split("::").pop()).sort()).toEqual(["internal", "private-ca", "www-key"]);
    for (const k of keys) expect(k.outputs.privateKeyPem).toHaveProperty("ciphertext");
  });

  it("preview shows the renewal of a certificate inside its renewal window, and up renews it", async () => {
    const preview = await stack.preview(["--diff"], { allowFailure: true });
    expect(preview.code).toBe(0);
    expect(preview.output).toMatch(/~ 1 to update/);
    expect(preview.output).toMatch(/~ pulumi-nodejs:dynamic\/dynoform:Certificate: \(update\)\n.*\n.*dynoform:Certificate::www\]/);
    expect(preview.output).not.toMatch(/to create|to replace|to delete/);
    await stack.up();
    const renewed = String((await stack.outputs()).certificateFingerprint);
    expect(renewed).not.toBe(fingerprint);
    expect(await handshake(router.httpsPort, hostname, root)).toMatchObject({ authorized: true, fingerprint: renewed });
    fingerprint = renewed;
  });

  it("up --replace of the certificate's tls.PrivateKey rotates the key: a new certificate for the new key, the Certificate updated in place", async () => {
    const before = await state();
    const key = before.find((r) => r.type === "tls:index/privateKey:PrivateKey" && r.urn.endsWith("::www-key"))!;
    const certUrn = before.find((r) => r.type === "pulumi-nodejs:dynamic/dynoform:Certificate" && r.urn.endsWith("::www"))!.urn;
    const r = await stack.run(["up", "--yes", "--skip-preview", "--replace", key.urn]);
    expect(r.output).not.toContain("PRIVATE KEY");
    const after = await state();
    const newKey = after.find((x) => x.type === "tls:index/privateKey:PrivateKey" && x.urn.endsWith("::www-key"))!;
    const cert = after.find((x) => x.urn === certUrn)!;
    expect(newKey.outputs.publicKeyPem).not.toBe(key.outputs.publicKeyPem);
    expect(leafKey(String(cert.outputs.certificateChain))).toBe(newKey.outputs.publicKeyPem);
    const fp = String((await stack.outputs()).certificateFingerprint);
    expect(fp).not.toBe(fingerprint);
    expect(await handshake(router.httpsPort, hostname, root)).toMatchObject({ authorized: true, fingerprint: fp });
  });

  it("a new acme.key.rotation value replaces the key (the preview says so) and orders a certificate for the new key", async () => {
    const before = await state();
    const key = before.find((r) => r.type === "tls:index/privateKey:PrivateKey" && r.urn.endsWith("::www-key"))!;
    await stack.setConfig("keyRotation", "2026-q3");
    const preview = await stack.preview(["--diff"]);
    expect(preview.output).toMatch(/\+-tls:index\/privateKey:PrivateKey: \(replace\)\n.*\n.*::www-key\]/);
    expect(preview.output).toMatch(/~ pulumi-nodejs:dynamic\/dynoform:Certificate: \(update\)/);
    await stack.up();
    const after = await state();
    const newKey = after.find((x) => x.type === "tls:index/privateKey:PrivateKey" && x.urn.endsWith("::www-key"))!;
    expect(newKey.outputs.publicKeyPem).not.toBe(key.outputs.publicKeyPem);
    const cert = after.find((x) => x.type === "pulumi-nodejs:dynamic/dynoform:Certificate" && x.urn.endsWith("::www"))!;
    expect(leafKey(String(cert.outputs.certificateChain))).toBe(newKey.outputs.publicKeyPem);
    expect(await handshake(router.httpsPort, hostname, root)).toMatchObject({ authorized: true, fingerprint: cert.outputs.fingerprint });
  });

  it("destroy leaves no container, network, image or volume behind, and stops serving HTTPS", async () => {
    await stack.run(["destroy", "--yes", "--skip-preview"]);
    expect(await objectsLabelled({ "dynoform.app": appName })).toEqual({ containers: [], networks: [], images: [] });
    expect(await docker.listVolumes({ filters: { label: [`dynoform.router=${router.name}`] } }).then((v) => v.Volumes ?? [])).toEqual([]);
    expect(
      await docker
        .getContainer(router.name)
        .inspect()
        .catch(() => "gone"),
    ).toBe("gone");
    expect(await get(`http://${hostname}:${router.httpPort}/`).catch(() => "refused")).toBe("refused");
  });
});
