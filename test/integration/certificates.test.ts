import { createPublicKey, X509Certificate } from "node:crypto";
import * as acme from "acme-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { provider as certificates } from "../../provider/tls/certificate-provider";
import { provider as domains } from "../../provider/tls/domain-provider";
import { changeRouter } from "../../provider/router/router-controller";
import { tlsFile } from "../../provider/tls/router-tls";
import { readTlsState, removeTlsFiles, tlsVolumeName, writeTlsFiles } from "../../provider/router/router-tls-store";
import type { CertificateInputs, CertificateOutputs } from "../../sdk/certificate";
import type { DomainInputs } from "../../sdk/domain";
import { makeCa, makeCert } from "../support/certs";
import { docker } from "../support/docker";
import { get, getUntil } from "../support/http";
import { Pebble } from "../support/pebble";
import { uniqueSuffix } from "../support/pulumi";
import { RouterTestApp, routerLog } from "../support/router-app";
import { handshake, httpsGet } from "../support/tls";

// Custom domains and certificates on the real router (HAProxy), real Docker and a real ACME
// server (Pebble), driven through the providers' own modules.
describe("custom domains and ACME certificates on the router", () => {
  const base = 8300 + 4 * Math.floor(Math.random() * 20);
  const router = { name: `r-tls-${uniqueSuffix()}`, httpPort: base, httpsPort: base + 1 };
  const a = new RouterTestApp("rtlsa", router);
  const b = new RouterTestApp("rtlsb", router);
  const pebble = new Pebble(router.httpPort);
  const suffix = uniqueSuffix();
  const hostA = `a-${suffix}.dynoform.test`;
  const hostB = `b-${suffix}.dynoform.test`;
  const hostC = `c-${suffix}.dynoform.test`;
  let root = "";
  const certs: Record<string, CertificateOutputs> = {};

  const domainInputs = (resource: string, app: string, hostname: string): DomainInputs => ({
    resource,
    app,
    hostname,
    router: router.name,
    routerHttpPort: router.httpPort,
    routerHttpsPort: router.httpsPort,
    appHostname: `${app}.test.localhost`,
    claimError: "",
  });
  const certInputs = (resource: string, hostname: string, extra: Partial<CertificateInputs> = {}): CertificateInputs => ({
    resource,
    hostname,
    router: router.name,
    routerHttpPort: router.httpPort,
    routerHttpsPort: router.httpsPort,
    source: "acme",
    acmeEmail: "ops@example.com",
    acmeDirectoryUrl: pebble.directoryUrl,
    acmeCaCertificates: pebble.serverCa,
    renewBeforeDays: 30,
    accountKey: "",
    csr: "",
    csrPrivateKey: "",
    uploadedChain: "",
    uploadedKey: "",
    argsError: "",
    ...extra,
  });

  beforeAll(async () => {
    await pebble.start();
    root = await pebble.root();
    await Promise.all([a.setup(), b.setup()]);
    await a.scale(1);
    await b.scale(1);
    await getUntil(a.url, (r) => r.status === 200);
    for (const h of [hostA, hostB, hostC]) await pebble.addA(h);
  });
  afterAll(async () => {
    await a.cleanup();
    await b.cleanup();
    await docker
      .getVolume(tlsVolumeName(router.name))
      .remove()
      .catch(() => undefined);
    await pebble.stop();
  });

  it("routes a custom domain by Host to its app, and refuses a second claim of it", async () => {
    const d = (await domains.create(domainInputs("a", a.app, hostA))).outs;
    expect(d).toMatchObject({ hostname: hostA, dnsTarget: `${a.app}.test.localhost`, dnsRecordType: "CNAME", dnsAddress: "127.0.0.1" });
    await domains.create(domainInputs("b", b.app, hostB));
    expect((await getUntil(`http://${hostA}:${router.httpPort}/`, (r) => r.status === 200)).body).toBe("Hello from web.1\n");
    const claim = domains.create(domainInputs("b-steals-a", b.app, hostA));
    await expect(claim).rejects.toThrow(
      `Domain "b-steals-a": hostname "${hostA}" already belongs to app "${a.app}" on router "${router.name}"`,
    );
    const check = await domains.check(undefined as never, domainInputs("b-steals-a", b.app, hostA));
    expect(check.failures[0].reason).toContain("(rule domain-unique)");
  });

  it("issues certificates from Pebble through the router's HTTP-01 answers, and serves each by SNI", async () => {
    const [ca, cb] = await Promise.all([certificates.create(certInputs("a", hostA)), certificates.create(certInputs("b", hostB))]);
    certs.a = ca.outs;
    certs.b = cb.outs;
    expect(certs.a).toMatchObject({ status: "issued", dnsNames: [hostA], issuer: expect.stringMatching(/Pebble/) });
    expect(Date.parse(certs.a.expiresAt)).toBeGreaterThan(Date.now() + 30 * 86400_000);
    expect(certs.a.privateKey).toMatch(/^-----BEGIN (EC )?PRIVATE KEY-----/);
    expect(certs.a.accountKey).toMatch(/^-----BEGIN (EC )?PRIVATE KEY-----/);
    for (const [host, c] of [
      [hostA, certs.a],
      [hostB, certs.b],
    ] as const) {
      const served = await handshake(router.httpsPort, host, root);
      expect(served).toMatchObject({ authorized: true, fingerprint: c.fingerprint });
    }
    expect((await readTlsState(router.name)).challenges).toEqual([]);
  });

  it("serves the app over HTTPS with X-Forwarded-Proto https and the HTTPS port, and logs protocol=https", async () => {
    const id = `tls-${uniqueSuffix()}-${uniqueSuffix()}-${uniqueSuffix()}`;
    const r = await httpsGet(router.httpsPort, hostA, "/headers", root, { "X-Request-Id": id });
    expect(r.status).toBe(200);
    const headers = JSON.parse(r.body).headers;
    expect(headers["x-forwarded-proto"]).toBe("https");
    expect(headers["x-forwarded-port"]).toBe(String(router.httpsPort));
    const plain = JSON.parse((await get(`http://${hostA}:${router.httpPort}/headers`)).body).headers;
    expect(plain["x-forwarded-proto"]).toBe("http");
    const deadline = Date.now() + 10_000;
    let line: string | undefined;
    while (!line && Date.now() < deadline) line = (await routerLog(router.name)).find((l) => l.includes(`request_id=${id} `));
    expect(line).toMatch(new RegExp(`host=${hostA.replace(/\./g, "\\.")} request_id=${id} .* status=200 .* protocol=https$`));
  });

  it("redirects plain HTTP to HTTPS for an app that asks, on its hostnames with a certificate", async () => {
    await changeRouter(router, (r) => writeTlsFiles(r, { [tlsFile.redirect(a.app)]: "" }));
    const r = await getUntil(`http://${hostA}:${router.httpPort}/some/path?q=1`, (x) => x.status === 301);
    expect(r.headers.location).toBe(`https://${hostA}:${router.httpsPort}/some/path?q=1`);
    expect((await get(a.url)).status).toBe(200); // its own hostname has no certificate: no redirect
    expect((await get(`http://${hostB}:${router.httpPort}/`)).status).toBe(200); // another app: no redirect
    await changeRouter(router, (x) => removeTlsFiles(x, [tlsFile.redirect(a.app)]));
    expect((await getUntil(`http://${hostA}:${router.httpPort}/`, (x) => x.status === 200)).status).toBe(200);
  });

  it("renews within the renewal window (preview's diff says so), keeping the old one serving until the new one is in", async () => {
    const forced = certInputs("a", hostA, { renewBeforeDays: 100_000 });
    expect((await certificates.diff("", certs.a, certInputs("a", hostA))).changes).toBe(false);
    expect((await certificates.diff("", certs.a, forced)).changes).toBe(true);
    let handshakes = 0;
    const failures: string[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        await handshake(router.httpsPort, hostA, root).then(
          (h) => (h.authorized ? handshakes++ : failures.push(h.error ?? "unauthorized")),
          (e) => failures.push(e.message),
        );
      }
    })();
    const renewed = (await certificates.update("", certs.a, forced)).outs as CertificateOutputs;
    running = false;
    await loop;
    expect(renewed.fingerprint).not.toBe(certs.a.fingerprint);
    expect(renewed.accountKey).toBe(certs.a.accountKey);
    expect(failures).toEqual([]);
    expect(handshakes).toBeGreaterThan(0);
    expect((await handshake(router.httpsPort, hostA, root)).fingerprint).toBe(renewed.fingerprint);
    certs.a = renewed;
  });

  it("orders with the key and CSR it is given (the tls.PrivateKey's); a certificate made by 0.1 first only records them; a replaced key orders", async () => {
    // What tls.PrivateKey / tls.CertRequest hand over; made here with acme-client's helpers.
    const request = async () => {
      const key = await acme.crypto.createPrivateEcdsaKey();
      const [, csr] = await acme.crypto.createCsr({ commonName: hostA, altNames: [hostA] }, key);
      return { csr: csr.toString(), csrPrivateKey: key.toString() };
    };
    const first = await request();
    const { csr: _csr, csrPrivateKey: _key, ...made01 } = certs.a; // the outputs 0.1 wrote: no CSR
    const recorded = (await certificates.update("", made01 as CertificateOutputs, certInputs("a", hostA, first)))
      .outs as CertificateOutputs;
    expect(recorded.fingerprint).toBe(certs.a.fingerprint);
    expect((await certificates.diff("", recorded, certInputs("a", hostA, first))).changes).toBe(false);
    const rotated = await request();
    const diff = await certificates.diff("", recorded, certInputs("a", hostA, rotated));
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    const issued = (await certificates.update("", recorded, certInputs("a", hostA, rotated))).outs as CertificateOutputs;
    expect(issued.fingerprint).not.toBe(certs.a.fingerprint);
    expect(issued.privateKey).toBe(rotated.csrPrivateKey);
    const leaf = new X509Certificate(issued.certificateChain);
    expect(leaf.publicKey.export({ format: "pem", type: "spki" })).toBe(
      createPublicKey(rotated.csrPrivateKey).export({ format: "pem", type: "spki" }),
    );
    expect(await handshake(router.httpsPort, hostA, root)).toMatchObject({ authorized: true, fingerprint: issued.fingerprint });
    certs.a = issued;
  });

  it("fails a renewal whose challenge cannot be reached with Pebble's reason, and keeps the current certificate serving", async () => {
    await pebble.addA(hostB, "127.0.0.2"); // nothing listens there
    const update = certificates.update("", certs.b, certInputs("b", hostB, { renewBeforeDays: 100_000 }));
    const err = (await update.catch((e: Error) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(`Certificate "b": the ACME server ${pebble.directoryUrl} did not issue a certificate for ${hostB}: `);
    expect(err.message).toMatch(/127\.0\.0\.2.*(refused|connect)/i);
    expect(err.message).toContain("keeps serving");
    expect(err.message).not.toMatch(/PRIVATE KEY/);
    expect((await handshake(router.httpsPort, hostB, root)).fingerprint).toBe(certs.b.fingerprint);
    expect((await readTlsState(router.name)).challenges).toEqual([]);
    await pebble.addA(hostB);
  });

  it("serves an uploaded certificate made in the test, checked first", async () => {
    await domains.create(domainInputs("c", b.app, hostC));
    const ca = await makeCa("Uploaded Test CA");
    const good = await makeCert(ca, [hostC]);
    const other = await makeCert(ca, [hostC]);
    const wrongKey = certInputs("c", hostC, {
      source: "uploaded",
      acmeDirectoryUrl: "",
      uploadedChain: good.certPem + ca.certPem,
      uploadedKey: other.keyPem,
    });
    const check = await certificates.check(undefined as never, wrongKey);
    expect(check.failures.map((f) => f.reason)).toEqual([
      expect.stringMatching(/^Certificate "c": the private key does not belong to the certificate .* Fix: /),
    ]);
    const c = (await certificates.create({ ...wrongKey, uploadedKey: good.keyPem })).outs as CertificateOutputs;
    expect(c).toMatchObject({ status: "issued", issuer: "CN=Uploaded Test CA", accountKey: "" });
    expect(await handshake(router.httpsPort, hostC, ca.certPem)).toMatchObject({ authorized: true, fingerprint: c.fingerprint });
    expect((await handshake(router.httpsPort, hostA, root)).fingerprint).toBe(certs.a.fingerprint);
    certs.c = c;
  });

  it("refresh sees a certificate removed from the router, and the next up puts it back", async () => {
    await changeRouter(router, (r) => removeTlsFiles(r, [tlsFile.certificate(hostA)]));
    const read = (await certificates.read("", certs.a)).props as CertificateOutputs;
    expect(read.status).toBe("missing");
    expect(
      (await certificates.diff("", read, certInputs("a", hostA, { csr: certs.a.csr, csrPrivateKey: certs.a.csrPrivateKey }))).changes,
    ).toBe(true);
    const back = (await certificates.update("", read, certInputs("a", hostA, { csr: certs.a.csr, csrPrivateKey: certs.a.csrPrivateKey })))
      .outs as CertificateOutputs;
    expect(back.fingerprint).toBe(certs.a.fingerprint);
    expect((await handshake(router.httpsPort, hostA, root)).fingerprint).toBe(certs.a.fingerprint);
    expect(((await certificates.read("", back)).props as CertificateOutputs).status).toBe("issued");
  });

  it("delete takes certificates and domains off the router", async () => {
    for (const [name, host] of [
      ["a", hostA],
      ["b", hostB],
      ["c", hostC],
    ] as const) {
      await certificates.delete("", certs[name]);
      await domains.delete("", {
        ...domainInputs(name, name === "a" ? a.app : b.app, host),
        dnsTarget: "",
        dnsRecordType: "",
        dnsAddress: "",
      });
    }
    const gone = await domains.read(hostA, { ...domainInputs("a", a.app, hostA), dnsTarget: "", dnsRecordType: "", dnsAddress: "" });
    expect(gone.id).toBe(""); // refresh: a claim that is gone is a Domain that is gone
    const state = await readTlsState(router.name);
    expect(state).toMatchObject({ domains: [], certificates: [], challenges: [] });
    expect((await getUntil(`http://${hostA}:${router.httpPort}/`, (r) => r.status === 404)).status).toBe(404);
    expect(await handshake(router.httpsPort, hostA, root).catch((e: Error) => e)).toBeInstanceOf(Error);
  });
});
