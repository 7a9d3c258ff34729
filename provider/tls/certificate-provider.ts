import * as http from "node:http";
import * as tls from "node:tls";
import type * as pulumi from "@pulumi/pulumi";
import type { CertificateInputs, CertificateOutputs } from "../../sdk/certificate";
import { CertificateInputsSchema, checkInputs, known } from "../../sdk/input-schemas";
import { PROVIDER_VERSION } from "../../sdk/lazy-provider";
import { newAccountKey, orderCertificate } from "./acme-order";
import { certificateInfo, checkUploadedCertificate } from "./certificate-check";
import { planCertificate } from "./certificate-renewal";
import { isWildcard, tlsFile, type AcmeChallenge } from "./router-tls";
import { tlsStoreOf, type RouterEndpoint } from "./tls-store";

const what = (c: CertificateInputs) => `Certificate "${c.resource}"`;

/** The certificate must belong to a Domain on a router that serves HTTPS. */
async function assertServable(c: CertificateInputs): Promise<void> {
  const store = tlsStoreOf(c);
  const state = await store.state();
  if (!state?.domains.some((d) => d.hostname === c.hostname.toLowerCase())) {
    throw new Error(
      `${what(c)}: no Domain "${c.hostname}" on router "${c.router}", so the certificate would serve nothing. Fix: declare a Domain for ${c.hostname} and pass it as \`domain\``,
    );
  }
  if ((await store.endpoints()).https.length === 0) {
    throw new Error(
      c.engine
        ? `${what(c)}: router "${c.router}" on the Swarm publishes no HTTPS port, or no node is labelled dynoform.edge=true. Fix: set DYNOFORM_ROUTER_HTTPS_PORT and label the edge nodes (docker node update --label-add dynoform.edge=true <node>), then run \`pulumi up\` again`
        : `${what(c)}: router "${c.router}" publishes no HTTPS port: it was created before Dynoform served TLS, or while port ${c.routerHttpsPort} on 127.0.0.1 was taken (by another router?). Fix: set DYNOFORM_ROUTER_HTTPS_PORT to a free port, remove the router (docker rm -f ${c.router}) and run \`pulumi up\` again; it comes back with 443 published there`,
    );
  }
}

/** Waits until every router replica answers the challenge on its HTTP port (the reload takes a moment). */
async function routerAnswers(endpoints: RouterEndpoint[], ch: AcmeChallenge, timeoutMs = 10_000): Promise<void> {
  for (const e of endpoints) await replicaAnswers(e, ch, timeoutMs);
}

async function replicaAnswers(endpoint: RouterEndpoint, ch: AcmeChallenge, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const body = await new Promise<string>((resolve) => {
      const req = http.get(
        {
          host: endpoint.host,
          port: endpoint.port,
          path: `/.well-known/acme-challenge/${ch.token}`,
          headers: { Host: ch.hostname },
          timeout: 2000,
        },
        (res) => {
          let b = "";
          res.on("data", (d) => (b += d));
          res.on("end", () => resolve(b));
        },
      );
      req.on("timeout", () => req.destroy());
      req.on("error", () => resolve(""));
    });
    if (body === ch.keyAuthorization) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  // Not fatal: the router may be reachable from the ACME server and not from here; it says why.
}

async function issue(c: CertificateInputs, accountKey: string) {
  const store = tlsStoreOf(c);
  return orderCertificate({
    what: what(c),
    hostname: c.hostname,
    email: c.acmeEmail,
    directoryUrl: c.acmeDirectoryUrl,
    accountKey,
    caCertificates: c.acmeCaCertificates || undefined,
    // Stacks made by 0.1 have no CSR input: acme-order then makes a key and CSR itself.
    request: c.csr && c.csrPrivateKey ? { csr: c.csr, privateKey: c.csrPrivateKey } : undefined,
    present: async (ch) => {
      await store.write({ [tlsFile.challenge(ch.token)]: JSON.stringify(ch) });
      await routerAnswers((await store.endpoints()).http, ch, c.engine ? 30_000 : 10_000);
    },
    remove: (ch) => store.remove([tlsFile.challenge(ch.token)]),
  });
}

/** The leaf the router serves for SNI `hostname` now ("" when the handshake fails). */
function servedFingerprint(endpoint: RouterEndpoint, hostname: string): Promise<string> {
  return new Promise((resolve) => {
    const servername = hostname.replace(/^\*\./, "dynoform-check.");
    const s = tls.connect({ host: endpoint.host, port: endpoint.port, servername, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate()?.fingerprint256 ?? "");
      s.end();
    });
    s.setTimeout(3000, () => s.destroy());
    s.on("error", () => resolve(""));
    s.on("close", () => resolve(""));
  });
}

/**
 * Puts the chain and key on the router for SNI and returns once every replica serves them: the
 * old one serves until then (HAProxy's reload is hitless; a Swarm router restarts node by node).
 */
async function install(c: CertificateInputs, chain: string, key: string): Promise<void> {
  const pem = `${chain.trim()}\n${key.trim()}\n`;
  const store = tlsStoreOf(c);
  await store.write({ [tlsFile.certificate(c.hostname)]: pem });
  const wanted = certificateInfo(chain).fingerprint;
  const seconds = c.engine ? 120 : 20;
  for (const endpoint of (await store.endpoints()).https) {
    const deadline = Date.now() + seconds * 1000;
    let served = "";
    while (served !== wanted) {
      if (Date.now() > deadline)
        throw new Error(
          `${what(c)}: the router "${c.router}" does not serve the new certificate for ${c.hostname} on ${endpoint.host}:${endpoint.port} after ${seconds} s (it serves ${served ? `another one, ${served}` : "nothing there"}). Fix: see the router's log (${store.logHint}); run \`pulumi up\` again`,
        );
      served = await servedFingerprint(endpoint, c.hostname);
      if (served !== wanted) await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function outputsOf(c: CertificateInputs, accountKey: string, chain: string, key: string): CertificateOutputs {
  const info = certificateInfo(chain);
  return { ...c, accountKey, certificateChain: chain, privateKey: key, status: "issued", ...info, providerVersion: PROVIDER_VERSION };
}

async function apply(olds: CertificateOutputs | undefined, news: CertificateInputs): Promise<CertificateOutputs> {
  const plan = planCertificate(olds, news, new Date());
  const accountKey = news.source === "acme" ? news.accountKey || olds?.accountKey || (await newAccountKey()) : "";
  switch (plan.kind) {
    case "order": {
      await assertServable(news);
      const issued = await issue(news, accountKey);
      await install(news, issued.certificateChain, issued.privateKey);
      return outputsOf(news, accountKey, issued.certificateChain, issued.privateKey);
    }
    case "install-uploaded": {
      const problems = checkUploadedCertificate(news.uploadedChain, news.uploadedKey, news.hostname);
      if (problems.length) throw new Error(`${what(news)}: ${problems.join("; ")}`);
      await assertServable(news);
      await install(news, news.uploadedChain, news.uploadedKey);
      return outputsOf(news, "", news.uploadedChain, news.uploadedKey);
    }
    case "reinstall":
      await assertServable(news);
      await install(news, olds!.certificateChain, olds!.privateKey);
      return outputsOf(news, accountKey, olds!.certificateChain, olds!.privateKey);
    default:
      return {
        ...olds!,
        ...news,
        accountKey,
        certificateChain: olds!.certificateChain,
        privateKey: olds!.privateKey,
        status: olds!.status,
        providerVersion: PROVIDER_VERSION,
      };
  }
}

export const provider = {
  async check(_olds: CertificateInputs, news: CertificateInputs) {
    const failures = checkInputs(CertificateInputsSchema, news, what(news));
    const fail = (reason: string) => failures.push({ property: "", reason: `${what(news)}: ${reason}` });
    if (news.source === "acme") {
      if (known(news.hostname) && isWildcard(news.hostname)) {
        fail(
          `ACME issues wildcard certificates (${news.hostname}) only through DNS-01 challenges, and Dynoform answers HTTP-01 (rule acme-no-wildcard). Fix: upload a wildcard certificate (uploaded: { certificateChain, privateKey }), or declare a Domain and Certificate per hostname`,
        );
      }
    } else if ([news.uploadedChain, news.uploadedKey, news.hostname].every(known)) {
      for (const p of checkUploadedCertificate(news.uploadedChain, news.uploadedKey, news.hostname)) fail(p);
    }
    return { inputs: news, failures };
  },

  async diff(_id: string, olds: CertificateOutputs, news: CertificateInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = olds.router !== news.router || olds.hostname !== news.hostname ? ["hostname"] : [];
    const plan = planCertificate(olds, news, new Date());
    return { changes: replaces.length > 0 || plan.kind !== "none", replaces, deleteBeforeReplace: false };
  },

  async create(inputs: CertificateInputs): Promise<pulumi.dynamic.CreateResult> {
    const outs = await apply(undefined, inputs);
    return { id: `${inputs.router}/${inputs.hostname}`, outs };
  },

  async update(_id: string, olds: CertificateOutputs, news: CertificateInputs): Promise<pulumi.dynamic.UpdateResult> {
    return { outs: await apply(olds, news) };
  },

  /** Drift: the router's copy is gone (`missing`) or another one (`drifted`); the next `up` reinstalls. */
  async read(id: string, props?: CertificateOutputs): Promise<pulumi.dynamic.ReadResult<CertificateOutputs>> {
    if (!props) return { id, props };
    const state = await tlsStoreOf(props).state();
    const installed = state?.certificates.find((c) => c.hostname === props.hostname.toLowerCase());
    let status = "missing";
    if (installed) {
      let fingerprint = "";
      try {
        fingerprint = certificateInfo(installed.pem).fingerprint;
      } catch {
        // unreadable: drifted
      }
      status = fingerprint === props.fingerprint ? "issued" : "drifted";
    }
    return { id, props: { ...props, status } };
  },

  async delete(_id: string, props: CertificateOutputs): Promise<void> {
    const store = tlsStoreOf(props);
    const installed = (await store.state())?.certificates.find((c) => c.hostname === props.hostname.toLowerCase());
    if (!installed) return;
    // Only ours: another stack's certificate for the same name stays.
    const ours = (() => {
      try {
        return certificateInfo(installed.pem).fingerprint === props.fingerprint;
      } catch {
        return true;
      }
    })();
    if (ours) await store.remove([tlsFile.certificate(props.hostname)]);
  },
} satisfies pulumi.dynamic.ResourceProvider<CertificateInputs, CertificateOutputs>;
