/**
 * One ACME order with acme-client: an HTTP-01 challenge per hostname, answered by the router on
 * port 80, then the certificate. The caller places and removes the challenge answers; failures
 * carry the ACME server's own reason.
 */
import * as https from "node:https";
import * as tls from "node:tls";
import * as acme from "acme-client";
import type { AcmeChallenge } from "./router-tls";

export interface AcmeOrderRequest {
  /** For messages: `Certificate "api"`. */
  what: string;
  hostname: string;
  email: string;
  directoryUrl: string;
  /** PEM of the ACME account's key. */
  accountKey: string;
  /** Extra CAs to trust for the ACME server's HTTPS (PEM), beyond Node's. */
  caCertificates?: string;
  /** The CSR (PEM) and the key it was made with; without them, a new ECDSA key and CSR for `hostname`. */
  request?: { csr: string; privateKey: string };
  /** Makes the router answer the challenge; resolves once it does. */
  present(challenge: AcmeChallenge): Promise<void>;
  /** Stops answering it. */
  remove(challenge: AcmeChallenge): Promise<void>;
}

export interface IssuedCertificate {
  certificateChain: string;
  privateKey: string;
}

/** A new ACME account key (ECDSA P-256), PEM. */
export async function newAccountKey(): Promise<string> {
  return (await acme.crypto.createPrivateEcdsaKey()).toString();
}

async function newRequest(hostname: string): Promise<{ csr: string; privateKey: string }> {
  const privateKey = await acme.crypto.createPrivateEcdsaKey();
  const [, csr] = await acme.crypto.createCsr({ commonName: hostname, altNames: [hostname] }, privateKey);
  return { csr: csr.toString(), privateKey: privateKey.toString() };
}

function trust(caCertificates: string | undefined): void {
  // acme-client talks through its own axios instance; trust the extra CAs there.
  acme.axios.defaults.httpsAgent = caCertificates ? new https.Agent({ ca: [...tls.rootCertificates, caCertificates] }) : undefined;
}

export async function orderCertificate(req: AcmeOrderRequest): Promise<IssuedCertificate> {
  trust(req.caCertificates);
  const client = new acme.Client({
    directoryUrl: req.directoryUrl,
    accountKey: req.accountKey,
    backoffAttempts: 12,
    backoffMin: 1000,
    backoffMax: 10000,
  });
  const { csr, privateKey } = req.request ?? (await newRequest(req.hostname));
  try {
    const chain = await client.auto({
      csr,
      email: req.email || undefined,
      termsOfServiceAgreed: true,
      challengePriority: ["http-01"],
      // The router answers for the hostname; the ACME server's own fetch is the real test.
      skipChallengeVerification: true,
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type !== "http-01") throw new Error(`the ACME server offers no HTTP-01 challenge for ${authz.identifier.value}`);
        await req.present({ hostname: authz.identifier.value, token: challenge.token, keyAuthorization });
      },
      challengeRemoveFn: async (authz, challenge, keyAuthorization) => {
        await req.remove({ hostname: authz.identifier.value, token: challenge.token, keyAuthorization });
      },
    });
    return { certificateChain: chain.toString(), privateKey };
  } catch (e) {
    throw acmeFailure(e as Error & { code?: string }, req);
  }
}

/** The failure as a person needs it: what, for which hostname, the ACME server's reason, what to do. */
export function acmeFailure(e: Error & { code?: string }, req: Pick<AcmeOrderRequest, "what" | "hostname" | "directoryUrl">): Error {
  const reason = e.message || String(e);
  let fix: string;
  if (
    e.code ||
    (/directory|ECONNREFUSED|ENOTFOUND|certificate|self.signed/i.test(reason) &&
      !/urn:ietf:params:acme|challenge|authorization/i.test(reason))
  ) {
    fix = `Dynoform could not talk to the ACME server (${e.code ?? "see above"}). Fix: check acme.directoryUrl, that this machine reaches it, and trust its CA (acme.caCertificates or NODE_EXTRA_CA_CERTS) if it is private`;
  } else if (/rate.?limit|too many/i.test(reason)) {
    fix =
      "Fix: the CA limits how often it issues; wait for the time it names (use letsencrypt-staging while testing), then run `pulumi up` again";
  } else {
    fix = `Fix: make ${req.hostname} resolve (CNAME or A record, see the Domain's dnsTarget) to this machine, with port 80 reaching the router, and no CAA record forbidding the CA; then run \`pulumi up\` again`;
  }
  return new Error(
    `${req.what}: the ACME server ${req.directoryUrl} did not issue a certificate for ${req.hostname}: ${reason}. The current certificate, if any, keeps serving. ${fix}`,
  );
}
