import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import * as dyno from "dynoform";

// A web app on your own hostname over HTTPS, as Heroku's custom domains with ACM:
//   pulumi config set hostname www.example.com     # a name whose DNS points at this machine
//   pulumi config set email ops@example.com
//   pulumi up
// Point a CNAME (or an A record) for the hostname at the Domain's outputs first: the ACME server
// fetches its HTTP-01 challenge from the router on port 80.
const cfg = new pulumi.Config();

const app = new dyno.App("web", {
  name: cfg.get("appName") ?? "tls-demo",
  source: "./app",
  httpsRedirect: cfg.getBoolean("httpsRedirect") ?? true,
  // `pulumi config set maintenance true`: every request gets the maintenance page (H80).
  maintenance: cfg.getBoolean("maintenance") ?? false,
});

new dyno.Formation("web", { app, processes: { web: { quantity: 1, size: "standard-1x" } } });

const domain = new dyno.Domain("www", { app, hostname: cfg.require("hostname") });

// Let's Encrypt's staging directory by default while you try it; "letsencrypt" for real
// certificates, or the URL of any ACME server (with its CA in acmeCaFile if it is private).
const caFile = cfg.get("acmeCaFile");
const certificate = new dyno.Certificate("www", {
  domain,
  acme: {
    email: cfg.get("email") ?? "ops@example.com",
    directoryUrl: cfg.get("acmeDirectory") ?? "letsencrypt-staging",
    caCertificates: caFile ? fs.readFileSync(caFile, "utf8") : undefined,
    // The certificate's key is a tls.PrivateKey; a new keyRotation value replaces it.
    key: { rotation: cfg.get("keyRotation") },
  },
});

// An internal hostname with a certificate you bring (Heroku's SNI endpoint), issued here by a
// private CA made with @pulumi/tls: trust `privateCaCertificate` on the clients that call it.
const internalHostname = cfg.get("internalHostname") ?? `internal.${cfg.require("hostname")}`;
const caKey = new tls.PrivateKey("private-ca", { algorithm: "ECDSA", ecdsaCurve: "P256" });
const ca = new tls.SelfSignedCert("private-ca", {
  privateKeyPem: caKey.privateKeyPem,
  isCaCertificate: true,
  subject: { commonName: "Dynoform example private CA" },
  validityPeriodHours: 5 * 365 * 24,
  allowedUses: ["cert_signing", "crl_signing"],
});
const internalKey = new tls.PrivateKey("internal", { algorithm: "ECDSA", ecdsaCurve: "P256" });
const internalCsr = new tls.CertRequest("internal", {
  privateKeyPem: internalKey.privateKeyPem,
  subject: { commonName: internalHostname },
  dnsNames: [internalHostname],
});
// 90 days; from 30 days before expiry, `pulumi up` replaces it with a new one (earlyRenewalHours).
const internalCert = new tls.LocallySignedCert("internal", {
  certRequestPem: internalCsr.certRequestPem,
  caPrivateKeyPem: caKey.privateKeyPem,
  caCertPem: ca.certPem,
  validityPeriodHours: 90 * 24,
  earlyRenewalHours: 30 * 24,
  allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
});
const internalDomain = new dyno.Domain("internal", { app, hostname: internalHostname });
const internal = new dyno.Certificate("internal", {
  domain: internalDomain,
  uploaded: { certificateChain: internalCert.certPem, privateKey: internalKey.privateKeyPem },
});

export const url = pulumi.interpolate`https://${domain.hostname}:${app.routerHttpsPort}/`;
export const dnsTarget = domain.dnsTarget;
export const dnsRecordType = domain.dnsRecordType;
export const certificateStatus = certificate.status;
export const certificateIssuer = certificate.issuer;
export const certificateExpiresAt = certificate.expiresAt;
export const certificateFingerprint = certificate.fingerprint;
export const internalUrl = pulumi.interpolate`https://${internalDomain.hostname}:${app.routerHttpsPort}/`;
export const internalCertificateIssuer = internal.issuer;
export const internalCertificateFingerprint = internal.fingerprint;
export const privateCaCertificate = ca.certPem;
