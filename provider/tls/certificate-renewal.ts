/**
 * What a Certificate's `up` must do, pure: order a new certificate, reinstall the one in the
 * state, install an uploaded one, only record changed settings, or nothing. `diff` (so `preview`)
 * and `update` share it, so a preview says what the `up` will do.
 */
import type { CertificateInputs, CertificateOutputs } from "../../sdk/certificate";

export const DAY_MS = 24 * 60 * 60 * 1000;

export type CertificateAction =
  | { kind: "order"; reason: string }
  | { kind: "reinstall"; reason: string }
  | { kind: "install-uploaded"; reason: string }
  | { kind: "record"; reason: string }
  | { kind: "none" };

/** Whether a certificate expiring at `expiresAt` is due for renewal at `now`. */
export function renewalDue(expiresAt: string | undefined, now: Date, renewBeforeDays: number): boolean {
  const t = Date.parse(expiresAt ?? "");
  if (Number.isNaN(t)) return true;
  return t - now.getTime() < renewBeforeDays * DAY_MS;
}

export function daysLeft(expiresAt: string, now: Date): number {
  return Math.floor((Date.parse(expiresAt) - now.getTime()) / DAY_MS);
}

const SETTINGS: Array<keyof CertificateInputs> = [
  "acmeEmail",
  "acmeCaCertificates",
  "renewBeforeDays",
  "routerHttpPort",
  "routerHttpsPort",
];

export function planCertificate(olds: CertificateOutputs | undefined, news: CertificateInputs, now: Date): CertificateAction {
  if (news.source === "uploaded") {
    if (olds?.source !== "uploaded") return { kind: "install-uploaded", reason: "new certificate" };
    if (olds.uploadedChain !== news.uploadedChain || olds.uploadedKey !== news.uploadedKey)
      return { kind: "install-uploaded", reason: "the uploaded certificate changed" };
    if (olds.status !== "issued") return { kind: "install-uploaded", reason: `the router's copy is ${olds.status}` };
    if (SETTINGS.some((k) => olds[k] !== news[k])) return { kind: "record", reason: "settings changed" };
    return { kind: "none" };
  }
  if (olds?.source !== "acme" || !olds.certificateChain) return { kind: "order", reason: "new certificate" };
  if (olds.hostname !== news.hostname) return { kind: "order", reason: "the domain changed" };
  if (olds.acmeDirectoryUrl !== news.acmeDirectoryUrl) return { kind: "order", reason: "the ACME directory changed" };
  if (news.accountKey && olds.accountKey !== news.accountKey) return { kind: "order", reason: "the ACME account key changed" };
  if (olds.csrPrivateKey && news.csrPrivateKey !== olds.csrPrivateKey)
    return { kind: "order", reason: "the private key was replaced (key rotation)" };
  if (renewalDue(olds.expiresAt, now, news.renewBeforeDays)) {
    return {
      kind: "order",
      reason: `renewal: it expires ${olds.expiresAt} (${daysLeft(olds.expiresAt, now)} days left, renewed within ${news.renewBeforeDays})`,
    };
  }
  if (olds.status !== "issued") return { kind: "reinstall", reason: `the router's copy is ${olds.status}` };
  if (SETTINGS.some((k) => olds[k] !== news[k])) return { kind: "record", reason: "settings changed" };
  // A Certificate made by 0.1 has no CSR: it keeps serving, and its next order uses the new key.
  if ((olds.csr ?? "") !== (news.csr ?? ""))
    return { kind: "record", reason: "the key and CSR are now tls.PrivateKey and tls.CertRequest resources" };
  return { kind: "none" };
}
