import { describe, expect, it } from "vitest";
import { DAY_MS, planCertificate, renewalDue } from "../../provider/tls/certificate-renewal";
import type { CertificateInputs, CertificateOutputs } from "../../sdk/certificate";

const now = new Date("2026-06-01T00:00:00Z");
const inDays = (d: number) => new Date(now.getTime() + d * DAY_MS).toISOString();
const news: CertificateInputs = {
  resource: "api",
  hostname: "api.example.com",
  router: "dynoform-router",
  routerHttpPort: 8080,
  routerHttpsPort: 8443,
  source: "acme",
  acmeEmail: "ops@example.com",
  acmeDirectoryUrl: "https://acme.example/dir",
  acmeCaCertificates: "",
  renewBeforeDays: 30,
  accountKey: "",
  csr: "CSR",
  csrPrivateKey: "CSRKEY",
  uploadedChain: "",
  uploadedKey: "",
  argsError: "",
};
const olds: CertificateOutputs = {
  ...news,
  accountKey: "ACCOUNT",
  certificateChain: "CHAIN",
  privateKey: "CSRKEY",
  status: "issued",
  issuer: "CN=Pebble",
  notBefore: inDays(-10),
  expiresAt: inDays(80),
  dnsNames: ["api.example.com"],
  serialNumber: "01",
  fingerprint: "AA",
};

describe("renewal", () => {
  it("is due with fewer than 30 days left, or an unknown expiry", () => {
    expect(renewalDue(inDays(31), now, 30)).toBe(false);
    expect(renewalDue(inDays(29), now, 30)).toBe(true);
    expect(renewalDue(inDays(-1), now, 30)).toBe(true);
    expect(renewalDue(undefined, now, 30)).toBe(true);
    expect(renewalDue(inDays(80), now, 100)).toBe(true);
  });
});

describe("planCertificate", () => {
  it("orders a new ACME certificate, and nothing when all is current", () => {
    expect(planCertificate(undefined, news, now).kind).toBe("order");
    expect(planCertificate(olds, news, now)).toEqual({ kind: "none" });
  });

  it("renews within the window, saying how many days are left", () => {
    const plan = planCertificate({ ...olds, expiresAt: inDays(12) }, news, now);
    expect(plan).toEqual({ kind: "order", reason: expect.stringContaining("12 days left, renewed within 30") });
  });

  it("reorders on a new directory, hostname or account key; only records a new email", () => {
    expect(planCertificate(olds, { ...news, acmeDirectoryUrl: "https://other/dir" }, now).kind).toBe("order");
    expect(planCertificate(olds, { ...news, hostname: "www.example.com" }, now).kind).toBe("order");
    expect(planCertificate(olds, { ...news, accountKey: "OTHER" }, now).kind).toBe("order");
    expect(planCertificate(olds, { ...news, accountKey: "ACCOUNT" }, now).kind).toBe("none");
    expect(planCertificate(olds, { ...news, acmeEmail: "sec@example.com" }, now).kind).toBe("record");
  });

  it("orders for a replaced key (key rotation), with the new CSR", () => {
    expect(planCertificate(olds, { ...news, csr: "CSR2", csrPrivateKey: "CSRKEY2" }, now)).toEqual({
      kind: "order",
      reason: "the private key was replaced (key rotation)",
    });
  });

  it("updates a Certificate made by 0.1 (no CSR, its own key) without ordering: it records the new key and CSR", () => {
    const { csr: _c, csrPrivateKey: _k, ...v01 } = olds;
    const made01 = { ...v01, privateKey: "KEY01" } as CertificateOutputs;
    expect(planCertificate(made01, news, now)).toEqual({ kind: "record", reason: expect.stringContaining("tls.PrivateKey") });
    const recorded = { ...made01, csr: news.csr, csrPrivateKey: news.csrPrivateKey };
    expect(planCertificate(recorded, news, now)).toEqual({ kind: "none" });
    expect(planCertificate({ ...recorded, expiresAt: inDays(5) }, news, now).kind).toBe("order");
    const uploaded01 = { ...made01, source: "uploaded" as const, uploadedChain: "C1", uploadedKey: "K1" };
    expect(
      planCertificate(uploaded01, { ...news, source: "uploaded", csr: "", csrPrivateKey: "", uploadedChain: "C1", uploadedKey: "K1" }, now),
    ).toEqual({ kind: "none" });
  });

  it("reinstalls a still-valid certificate that refresh found missing or replaced on the router", () => {
    expect(planCertificate({ ...olds, status: "missing" }, news, now).kind).toBe("reinstall");
    expect(planCertificate({ ...olds, status: "drifted" }, news, now).kind).toBe("reinstall");
  });

  it("installs an uploaded certificate when it is new, changed or missing on the router", () => {
    const up = { ...news, source: "uploaded" as const, acmeDirectoryUrl: "", uploadedChain: "C1", uploadedKey: "K1" };
    expect(planCertificate(olds, up, now).kind).toBe("install-uploaded");
    const installed = { ...olds, ...up, status: "issued" };
    expect(planCertificate(installed, up, now)).toEqual({ kind: "none" });
    expect(planCertificate(installed, { ...up, uploadedChain: "C2" }, now).kind).toBe("install-uploaded");
    expect(planCertificate({ ...installed, status: "missing" }, up, now).kind).toBe("install-uploaded");
  });
});
