import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, it } from "vitest";
import { certificateInfo } from "../provider/tls/certificate-check";
import { changeRouter } from "../provider/router/router-controller";
import { tlsFile } from "../provider/tls/router-tls";
import { removeTlsFiles, tlsVolumeName, writeTlsFiles } from "../provider/router/router-tls-store";
import { makeCa, makeCert, type TestCert } from "../test/support/certs";
import { docker } from "../test/support/docker";
import { getUntil } from "../test/support/http";
import { uniqueSuffix } from "../test/support/pulumi";
import { RouterTestApp } from "../test/support/router-app";
import { handshake } from "../test/support/tls";

// Issue 6's target: full TLS handshakes per second through the router with 200 certificates
// installed (SNI picks one of them), against the same router with one certificate, in the same
// run. Goal: ratio ≥ 0.9. Every request is a new connection (Connection: close) and wrk keeps no
// TLS session, so each is a full handshake; the router answers 404 itself, so no dyno is timed.
const COUNT = 200;
const ROUNDS = 4;
const SECONDS = 8;
const router = { name: `r-tls-bench-${uniqueSuffix()}`, httpPort: 8398, httpsPort: 8399 };
const app = new RouterTestApp("rtlsbench", router);
const host = (i: number) => `bench-${i}.tls.test`;
const hostsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-bench-")), "hosts");
let certs: TestCert[] = [];

function files(from: number, to: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = from; i < to; i++) {
    out[tlsFile.domain(host(i))] = JSON.stringify({ hostname: host(i), app: app.app });
    out[tlsFile.certificate(host(i))] = certs[i].certPem + certs[i].keyPem;
  }
  return out;
}

async function servedNow(i: number): Promise<void> {
  const want = certificateInfo(certs[i].certPem).fingerprint;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const got = await handshake(router.httpsPort, host(i), "").catch(() => undefined);
    if (got?.fingerprint === want) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the router does not serve ${host(i)}`);
}

/** Handshakes per second for SNI `name`, by wrk in a mount namespace where `name` resolves to 127.0.0.1. */
function wrk(name: string, seconds = SECONDS): Promise<number> {
  const url = `https://${name}:${router.httpsPort}/`;
  const cmd = `mount --bind ${hostsFile} /etc/hosts && exec wrk -t2 -c32 -d${seconds}s -H 'Connection: close' -H 'Host: nobody.invalid' ${url}`;
  return new Promise((resolve, reject) => {
    execFile("unshare", ["--mount", "--propagation", "private", "sh", "-c", cmd], (err, stdout, stderr) => {
      const rate = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
      if (err || !rate) return reject(new Error(`wrk failed: ${err?.message ?? ""}\n${stdout}${stderr}`));
      resolve(Number(rate[1]));
    });
  });
}

beforeAll(async () => {
  const ca = await makeCa("Bench CA");
  certs = await Promise.all(Array.from({ length: COUNT }, (_, i) => makeCert(ca, [host(i)])));
  fs.writeFileSync(hostsFile, Array.from({ length: COUNT }, (_, i) => `127.0.0.1 ${host(i)}\n`).join(""));
  await app.setup();
  await app.scale(1);
  await getUntil(app.url, (r) => r.status === 200);
  await changeRouter(router, (r) => writeTlsFiles(r, files(0, 1)));
  await servedNow(0);
});

afterAll(async () => {
  await app.cleanup();
  await docker
    .getVolume(tlsVolumeName(router.name))
    .remove()
    .catch(() => undefined);
  fs.rmSync(path.dirname(hostsFile), { recursive: true, force: true });
});

it(`TLS handshakes/s through the router: ${COUNT} certificates against 1`, async () => {
  const one: number[] = [];
  const many: number[] = [];
  const install = async (all: boolean) => {
    await changeRouter(router, (r) => (all ? writeTlsFiles(r, files(1, COUNT)) : removeTlsFiles(r, Object.keys(files(1, COUNT)))));
    await servedNow(all ? COUNT - 1 : 0);
    // A moment for the previous worker to finish and the new one to settle, then a warm-up run.
    await new Promise((r) => setTimeout(r, 1000));
    await wrk(all ? host(COUNT - 1) : host(0), 2);
  };
  // ABBA order, so drift in the machine's load (shared with other work) falls on both sides.
  for (let round = 0; round < ROUNDS; round++) {
    for (const all of round % 2 === 0 ? [false, true] : [true, false]) {
      await install(all);
      (all ? many : one).push(await wrk(all ? host(COUNT - 1) : host(0)));
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rows = [
    `1 certificate:    ${one.map((x) => x.toFixed(0)).join(", ")} handshakes/s (mean ${mean(one).toFixed(0)})`,
    `${COUNT} certificates: ${many.map((x) => x.toFixed(0)).join(", ")} handshakes/s (mean ${mean(many).toFixed(0)})`,
    `ratio ${COUNT}/1: ${(mean(many) / mean(one)).toFixed(2)} (goal ≥ 0.9)`,
  ];
  console.log(`\nbench/tls (${SECONDS} s per run, wrk -t2 -c32, Connection: close, ${os.cpus().length} CPUs)\n${rows.join("\n")}\n`);
}, 300_000);
