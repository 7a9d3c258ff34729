import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { z } from "zod";
import { givenDomain, type Domain } from "./domain";
import type { CertificateInputsSchema, Versioned } from "./input-schemas";
import { lazyProvider } from "./lazy-provider";
import { engineInput } from "./engine";
import { readGiven } from "./program-registry";
import { HEROKU, runtimeSettings } from "./settings";

/** Well-known ACME directories, by short name. */
export const ACME_DIRECTORIES: Record<string, string> = {
  letsencrypt: "https://acme-v02.api.letsencrypt.org/directory",
  "letsencrypt-staging": "https://acme-staging-v02.api.letsencrypt.org/directory",
};

/** Certificates are renewed when they have fewer days left than this (Heroku ACM: one month). */
export const DEFAULT_RENEW_BEFORE_DAYS = HEROKU.renewBeforeDays;

/** Issue and renew the certificate with ACME (Heroku's ACM). */
export interface AcmeOptions {
  /** Contact address for the ACME account (expiry notices from the CA). */
  email?: pulumi.Input<string>;
  /**
   * The ACME directory: `letsencrypt` (the default, or DYNOFORM_ACME_DIRECTORY),
   * `letsencrypt-staging`, or the URL of any ACME server's directory.
   */
  directoryUrl?: pulumi.Input<string>;
  /**
   * PEM CA certificates to trust for the ACME server's own HTTPS, beyond Node's (a private or
   * test ACME server). NODE_EXTRA_CA_CERTS works too.
   */
  caCertificates?: pulumi.Input<string>;
  /** Renew when fewer days than this are left (default 30). */
  renewBeforeDays?: pulumi.Input<number>;
  /** The ACME account's private key (PEM); generated once and kept as a secret when not given. */
  accountKey?: pulumi.Input<string>;
  /** The certificate's own private key: a `tls.PrivateKey` (@pulumi/tls) that the CSR is made with. */
  key?: CertificateKeyOptions;
}

/**
 * The private key an ACME certificate is requested with, kept as a `tls.PrivateKey` resource
 * (`<name>-key`, its PEM secret in the state) next to a `tls.CertRequest` (`<name>-csr`). The key
 * outlives renewals; replacing it (a new `rotation` value, or `pulumi up --replace <key's URN>`)
 * orders a certificate for the new key on that `up`.
 */
export interface CertificateKeyOptions {
  /** `ECDSA` (P-256, the default) or `RSA`. */
  algorithm?: "ECDSA" | "RSA";
  /** RSA key size in bits (default 2048). */
  rsaBits?: number;
  /** Any value; changing it replaces the key (key rotation), e.g. `"2026-q3"`. */
  rotation?: pulumi.Input<string>;
}

/** A certificate you bring (Heroku's SNI endpoint). */
export interface UploadedCertificate {
  /** PEM: the server certificate first, then its intermediates. */
  certificateChain: pulumi.Input<string>;
  /** PEM private key of the server certificate; kept secret. */
  privateKey: pulumi.Input<string>;
}

/** Arguments of a {@link Certificate}. Give `acme` (the default) or `uploaded`. */
export interface CertificateArgs {
  /** The {@link Domain} to serve over HTTPS, or its hostname (a Domain of this program or on the same router). */
  domain: Domain | pulumi.Input<string>;
  /** Issue and renew with ACME; the default when `uploaded` is not given. */
  acme?: AcmeOptions;
  /** Serve this certificate and key instead; checked at preview (key matches, covers the domain, not expired). */
  uploaded?: UploadedCertificate;
}

/** What the Certificate provider receives. */
export type CertificateInputs = z.infer<typeof CertificateInputsSchema>;
export type CertificateSource = CertificateInputs["source"];

export interface CertificateOutputs extends CertificateInputs, Versioned {
  /** The PEM chain being served. */
  certificateChain: string;
  /** Secret: the PEM private key being served. */
  privateKey: string;
  /** `issued` when it is served; `missing` or `drifted` when `refresh` found otherwise (the next `up` reinstalls it). */
  status: string;
  issuer: string;
  notBefore: string;
  /** ISO 8601; renewed on the first `up` within `renewBeforeDays` of it. */
  expiresAt: string;
  dnsNames: string[];
  serialNumber: string;
  fingerprint: string;
}

/**
 * A TLS certificate for a {@link Domain}, served by the router by SNI: issued and renewed with
 * ACME (HTTP-01, answered by the router on port 80), or uploaded. A renewal or replacement
 * keeps the old certificate serving until the new one is in place.
 */
export class Certificate extends pulumi.dynamic.Resource {
  public readonly hostname!: pulumi.Output<string>;
  public readonly certificateChain!: pulumi.Output<string>;
  public readonly privateKey!: pulumi.Output<string>;
  public readonly status!: pulumi.Output<string>;
  public readonly issuer!: pulumi.Output<string>;
  public readonly notBefore!: pulumi.Output<string>;
  public readonly expiresAt!: pulumi.Output<string>;
  public readonly dnsNames!: pulumi.Output<string[]>;
  public readonly fingerprint!: pulumi.Output<string>;

  constructor(resourceName: string, args: CertificateArgs, opts?: pulumi.CustomResourceOptions) {
    const settings = runtimeSettings();
    const domain = fromDomain(args.domain, settings);
    const acme = args.acme ?? {};
    const directory = pulumi.output(acme.directoryUrl ?? settings.acmeDirectory).apply((d) => ACME_DIRECTORIES[d] ?? d);
    const request = args.uploaded
      ? undefined
      : certificateRequest(
          resourceName,
          domain.apply((d) => d.hostname),
          acme.key ?? {},
          opts,
        );
    const inputs: Record<keyof CertificateOutputs, unknown> = {
      resource: resourceName,
      hostname: domain.apply((d) => d.hostname),
      router: domain.apply((d) => d.router),
      routerHttpPort: domain.apply((d) => d.routerHttpPort),
      routerHttpsPort: domain.apply((d) => d.routerHttpsPort),
      source: args.uploaded ? "uploaded" : "acme",
      acmeEmail: acme.email ?? "",
      acmeDirectoryUrl: args.uploaded ? "" : directory,
      acmeCaCertificates: acme.caCertificates ?? "",
      renewBeforeDays: acme.renewBeforeDays ?? DEFAULT_RENEW_BEFORE_DAYS,
      accountKey: pulumi.secret(acme.accountKey ?? ""),
      csr: request?.csr.certRequestPem ?? "",
      csrPrivateKey: pulumi.secret(request?.key.privateKeyPem ?? ""),
      uploadedChain: args.uploaded?.certificateChain ?? "",
      uploadedKey: pulumi.secret(args.uploaded?.privateKey ?? ""),
      argsError: args.uploaded && args.acme ? "give either `acme` or `uploaded`, not both. Fix: remove one of them" : "",
      engine: engineInput(),
      certificateChain: undefined,
      privateKey: undefined,
      status: undefined,
      issuer: undefined,
      notBefore: undefined,
      expiresAt: undefined,
      dnsNames: undefined,
      serialNumber: undefined,
      fingerprint: undefined,
      providerVersion: undefined,
    };
    const secretOutputs = { additionalSecretOutputs: ["privateKey", "accountKey", "uploadedKey", "csrPrivateKey"] };
    super(
      lazyProvider<CertificateInputs, CertificateOutputs>("tls/certificate-provider"),
      resourceName,
      inputs,
      pulumi.mergeOptions(opts, secretOutputs),
      "dynoform",
      "Certificate",
    );
  }
}

/**
 * The key and CSR of an ACME certificate, as @pulumi/tls resources beside the Certificate (same
 * parent): not its children, because a child waits for its parent to exist and the Certificate
 * needs the CSR to come into existence.
 */
function certificateRequest(
  name: string,
  hostname: pulumi.Output<string>,
  key: CertificateKeyOptions,
  opts: pulumi.CustomResourceOptions | undefined,
) {
  const algorithm = key.algorithm ?? "ECDSA";
  const privateKey = new tls.PrivateKey(
    `${name}-key`,
    algorithm === "RSA" ? { algorithm, rsaBits: key.rsaBits ?? 2048 } : { algorithm, ecdsaCurve: "P256" },
    // Never null: the engine ignores a trigger whose old or new value is null.
    { parent: opts?.parent, protect: opts?.protect, replacementTrigger: pulumi.output(key.rotation).apply((r) => r ?? "") },
  );
  const csr = new tls.CertRequest(
    `${name}-csr`,
    { privateKeyPem: privateKey.privateKeyPem, subject: { commonName: hostname }, dnsNames: [hostname] },
    { parent: opts?.parent, protect: opts?.protect },
  );
  return { key: privateKey, csr };
}

/** The Domain's fields, from the Domain given as itself or by hostname; a hostname this program does not declare is a Domain of another stack on this machine's router. */
function fromDomain(domain: Domain | pulumi.Input<string>, settings: ReturnType<typeof runtimeSettings>) {
  // The declared hostname is known at preview; the router fields make the Certificate wait for the Domain.
  const fields = (d: Domain) =>
    pulumi.output({ hostname: d.declaredHostname, router: d.router, routerHttpPort: d.routerHttpPort, routerHttpsPort: d.routerHttpsPort });
  return readGiven(givenDomain(domain), fields, (hostname) => ({
    hostname: hostname.toLowerCase(),
    router: settings.router,
    routerHttpPort: settings.routerHttpPort,
    routerHttpsPort: settings.routerHttpsPort,
  }));
}
