/**
 * Checks of PEM certificates and keys, pure (node:crypto's X509Certificate): what a certificate
 * covers, when it expires, who issued it, and whether an uploaded chain and key can serve a
 * domain. Messages never quote key material.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "node:crypto";
import { hostnameCovers } from "./router-tls";

export interface CertificateInfo {
  /** The issuer's distinguished name, `CN=…, O=…` style. */
  issuer: string;
  subject: string;
  /** ISO 8601 instants. */
  notBefore: string;
  expiresAt: string;
  /** DNS names the certificate covers (subjectAltName, else the subject's CN). */
  dnsNames: string[];
  serialNumber: string;
  /** SHA-256 fingerprint of the leaf, colon-separated hex. */
  fingerprint: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM chain, leaf first, each as its own PEM block. */
export function splitPemChain(pem: string): string[] {
  return (String(pem ?? "").match(PEM_CERT) ?? []).map((b) => `${b}\n`);
}

function dn(s: string): string {
  return s.split("\n").filter(Boolean).reverse().join(", ");
}

export function dnsNamesOf(cert: X509Certificate): string[] {
  const san = cert.subjectAltName
    ?.split(/,\s*/)
    .filter((e) => e.startsWith("DNS:"))
    .map((e) => e.slice(4).toLowerCase());
  if (san?.length) return san;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

/** What the leaf (first) certificate of a chain says about itself. */
export function certificateInfo(chainPem: string): CertificateInfo {
  const [leaf] = splitPemChain(chainPem);
  if (!leaf) throw new Error("no PEM certificate (-----BEGIN CERTIFICATE-----) in the chain");
  const x = new X509Certificate(leaf);
  return {
    issuer: dn(x.issuer),
    subject: dn(x.subject),
    notBefore: new Date(x.validFrom).toISOString(),
    expiresAt: new Date(x.validTo).toISOString(),
    dnsNames: dnsNamesOf(x),
    serialNumber: x.serialNumber,
    fingerprint: x.fingerprint256,
  };
}

/** Whether a certificate's names cover a domain's hostname (a wildcard domain needs the same wildcard). */
export function coversHostname(info: Pick<CertificateInfo, "dnsNames">, hostname: string): boolean {
  return info.dnsNames.some((n) => hostnameCovers(n, hostname));
}

/**
 * Everything wrong with an uploaded chain and key for `hostname` at `now`, each problem a
 * sentence with its fix; empty when they can serve it.
 */
export function checkUploadedCertificate(chainPem: string, keyPem: string, hostname: string, now = new Date()): string[] {
  const problems: string[] = [];
  const blocks = splitPemChain(chainPem);
  if (blocks.length === 0) {
    return [
      "the certificate chain holds no PEM certificate (-----BEGIN CERTIFICATE-----). Fix: pass the PEM text of the server certificate, followed by its intermediates",
    ];
  }
  let certs: X509Certificate[];
  try {
    certs = blocks.map((b) => new X509Certificate(b));
  } catch (e) {
    return [`the certificate chain does not parse (${(e as Error).message}). Fix: pass the PEM text exactly as the CA gave it`];
  }
  const leaf = certs[0];
  let key: KeyObject | undefined;
  try {
    key = createPrivateKey(String(keyPem ?? ""));
  } catch {
    problems.push(
      "the private key is not a readable PEM private key (it may be encrypted or not PEM). Fix: pass the unencrypted PEM key (-----BEGIN PRIVATE KEY-----, RSA or EC) that the certificate was requested with",
    );
  }
  if (key && !leaf.checkPrivateKey(key)) {
    problems.push(
      "the private key does not belong to the certificate (their public keys differ). Fix: pass the key that the certificate signing request was made with",
    );
  }
  const names = dnsNamesOf(leaf);
  if (!names.some((n) => hostnameCovers(n, hostname))) {
    problems.push(
      `the certificate covers ${names.length ? names.map((n) => `"${n}"`).join(", ") : "no DNS name"}, not "${hostname}". Fix: upload a certificate whose subjectAltName includes ${hostname}`,
    );
  }
  const validTo = new Date(leaf.validTo);
  const validFrom = new Date(leaf.validFrom);
  if (validTo <= now)
    problems.push(
      `the certificate expired on ${validTo.toISOString()}. Fix: renew it with its CA and upload the new one, or use ACME (acme: { email })`,
    );
  else if (validFrom > now)
    problems.push(`the certificate is not valid before ${validFrom.toISOString()}. Fix: wait until then, or check this machine's clock`);
  for (let i = 0; i + 1 < certs.length; i++) {
    if (!certs[i].checkIssued(certs[i + 1]) || !certs[i].verify(certs[i + 1].publicKey)) {
      problems.push(
        `certificate ${i + 2} of the chain did not issue certificate ${i + 1}. Fix: put the server certificate first, then each intermediate in order, each issuing the one before it`,
      );
      break;
    }
  }
  return problems;
}
