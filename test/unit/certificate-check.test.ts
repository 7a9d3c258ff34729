import { beforeAll, describe, expect, it } from "vitest";
import { certificateInfo, checkUploadedCertificate, coversHostname, splitPemChain } from "../../provider/tls/certificate-check";
import { makeCa, makeCert, type TestCa } from "../support/certs";

const DAY = 24 * 60 * 60 * 1000;

describe("uploaded certificate checks", () => {
  let ca: TestCa;
  let other: TestCa;
  beforeAll(async () => {
    ca = await makeCa("Check CA");
    other = await makeCa("Other CA");
  });

  it("accepts a matching, current certificate for the domain, with its chain", async () => {
    const c = await makeCert(ca, ["api.example.com", "www.example.com"]);
    expect(checkUploadedCertificate(c.certPem + ca.certPem, c.keyPem, "www.example.com")).toEqual([]);
    const info = certificateInfo(c.certPem + ca.certPem);
    expect(info.dnsNames).toEqual(["api.example.com", "www.example.com"]);
    expect(info.issuer).toBe("CN=Check CA");
    expect(info.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(splitPemChain(c.certPem + ca.certPem)).toHaveLength(2);
  });

  it("refuses a key of another certificate, without quoting either", async () => {
    const c = await makeCert(ca, ["api.example.com"]);
    const d = await makeCert(ca, ["api.example.com"]);
    const problems = checkUploadedCertificate(c.certPem, d.keyPem, "api.example.com");
    expect(problems).toEqual([expect.stringMatching(/^the private key does not belong to the certificate .* Fix: /)]);
    expect(problems.join()).not.toContain("PRIVATE KEY");
  });

  it("refuses a certificate that does not cover the domain; a wildcard covers one label", async () => {
    const c = await makeCert(ca, ["*.example.com"]);
    expect(checkUploadedCertificate(c.certPem, c.keyPem, "a.example.com")).toEqual([]);
    expect(checkUploadedCertificate(c.certPem, c.keyPem, "*.example.com")).toEqual([]);
    expect(checkUploadedCertificate(c.certPem, c.keyPem, "a.b.example.com")).toEqual([
      expect.stringContaining('covers "*.example.com", not "a.b.example.com"'),
    ]);
    expect(coversHostname({ dnsNames: ["api.example.com"] }, "*.example.com")).toBe(false);
  });

  it("refuses an expired certificate and a chain out of order", async () => {
    const old = await makeCert(ca, ["api.example.com"], {
      notBefore: new Date(Date.now() - 100 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    expect(checkUploadedCertificate(old.certPem, old.keyPem, "api.example.com")).toEqual([
      expect.stringMatching(/^the certificate expired on \d{4}-.*Fix: /),
    ]);
    const c = await makeCert(ca, ["api.example.com"]);
    expect(checkUploadedCertificate(c.certPem + other.certPem, c.keyPem, "api.example.com")).toEqual([
      expect.stringContaining("certificate 2 of the chain did not issue certificate 1"),
    ]);
  });

  it("says what is wrong with text that is not PEM", () => {
    expect(checkUploadedCertificate("hello", "world", "api.example.com")).toEqual([expect.stringContaining("holds no PEM certificate")]);
  });
});
