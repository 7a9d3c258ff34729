import * as http from "node:http";
import * as tls from "node:tls";
import type * as pulumi from "@pulumi/pulumi";
import type { CertificateInputs, CertificateOutputs } from "../../sdk/certificate";
import { CertificateInputsSchema, checkInputs, known } from "../../sdk/input-schemas";
import { PROVIDER_VERSION } from "../../sdk/lazy-provider";
import { newAccountKey, orderCertificate } from "./acme-order";
import { certificateInfo, checkUploadedCertificate } from "./certificate-check";
import { planCertificate } from "./certificate-renewal";
import { changeRouter, routerExists } from "../router/router-controller";
import { isWildcard, tlsFile, type AcmeChallenge } from "./router-tls";
import { publishedHttpsPort, readTlsState, removeTlsFiles, writeTlsFiles } from "../router/router-tls-store";

const routerOf = (c: CertificateInputs) => ({ name: c.router, httpPort: c.routerHttpPort, httpsPort: c.routerHttpsPort });
const what = (c: CertificateInputs) => `Certificate "${c.resource}"`;

/** The certificate must belong to a Domain on a router that serves HTTPS. */
async function assertServable(c: CertificateInputs): Promise<void> {
  const state = (await routerExists(c.router)) ? await readTlsState(c.router) : undefined;
  if (!state?.domains.some((d) => d.hostname === c.hostname.toLowerCase())) {
    throw new Error(
      `${what(c)}: no Domain "${c.hostname}" on router "${c.router}", so the certificate would serve nothing. Fix: declare a Domain for ${c.hostname} and pass it as \`domain\``,
    );
  }
  if (!(await publishedHttpsPort(c.router))) {
    throw new Error(
      `${what(c)}: router "${c.router}" publishes no HTTPS port: it was created before Dynoform served TLS, or while port ${c.routerHttpsPort} on 127.0.0.1 was taken (by another router?). Fix: set DYNOFORM_ROUTER_HTTPS_PORT to a free port, remove the router (docker rm -f ${c.router}) and run \`pulumi up\` again; it comes back with 443 published there`,
    );
  }
}

/** Waits until the router answers the challenge on its HTTP port (the reload takes a moment). */
async function routerAnswers(c: CertificateInputs, ch: AcmeChallenge, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const body = await new Promise<string>((resolve) => {
      const req = http.get(
        {
          host: "127.0.0.1",
          port: c.routerHttpPort,
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
  const settings = routerOf(c);
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
      await changeRouter(settings, (router) => writeTlsFiles(router, { [tlsFile.challenge(ch.token)]: JSON.stringify(ch) }));
      await routerAnswers(c, ch);
    },
    remove: (ch) => changeRouter(settings, (router) => removeTlsFiles(router, [tlsFile.challenge(ch.token)])),
  });
}

/** The leaf the router serves for SNI `hostname` now ("" when the handshake fails). */
function servedFingerprint(port: number, hostname: string): Promise<string> {
  return new Promise((resolve) => {
    const servername = hostname.replace(/^\*\./, "dynoform-check.");
    const s = tls.connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate()?.fingerprint256 ?? "");
      s.end();
    });
    s.setTimeout(3000, () => s.destroy());
    s.on("error", () => resolve(""));
    s.on("close", () => resolve(""));
  });
}

/**
 * Puts the chain and key on the router for SNI and returns once the router serves them: the old
 * one serves until then (HAProxy's reload is hitless, and a new worker takes a moment).
 */
async function install(c: CertificateInputs, chain: string, key: string): Promise<void> {
  const pem = `${chain.trim()}\n${key.trim()}\n`;
  await changeRouter(routerOf(c), (router) => writeTlsFiles(router, { [tlsFile.certificate(c.hostname)]: pem }));
  const port = (await publishedHttpsPort(c.router)) ?? c.routerHttpsPort;
  const wanted = certificateInfo(chain).fingerprint;
  const deadline = Date.now() + 20_000;
  let served = "";
  while (Date.now() < deadline) {
    served = await servedFingerprint(port, c.hostname);
    if (served === wanted) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${what(c)}: the router "${c.router}" does not serve the new certificate for ${c.hostname} on 127.0.0.1:${port} after 20 s (it serves ${served ? `another one, ${served}` : "nothing there"}). Fix: see the router's log (docker logs ${c.router}); run \`pulumi up\` again`,
  );
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
    const state = (await routerExists(props.router)) ? await readTlsState(props.router) : undefined;
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
    if (!(await routerExists(props.router))) return;
    const state = await readTlsState(props.router);
    const installed = state.certificates.find((c) => c.hostname === props.hostname.toLowerCase());
    if (!installed) return;
    await changeRouter(routerOf(props), async (router) => {
      // Only ours: another stack's certificate for the same name stays.
      const ours = (() => {
        try {
          return certificateInfo(installed.pem).fingerprint === props.fingerprint;
        } catch {
          return true;
        }
      })();
      if (ours) await removeTlsFiles(router, [tlsFile.certificate(props.hostname)]);
    });
  },
} satisfies pulumi.dynamic.ResourceProvider<CertificateInputs, CertificateOutputs>;
