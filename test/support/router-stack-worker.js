// One "stack" of the router concurrency test, in a process of its own (as a `pulumi up` runs its
// provider in its own process): it deploys its app the way the providers do (network + router
// update, web dyno + router update, Domain claim), destroys it in reverse, round after round,
// and ends deployed when `endDeployed`. Argument: a JSON object (see router-concurrency.test.ts). Prints one JSON
// line per failed step; exits 1 when any step failed.
const path = require("node:path");
const dist = process.env.DYNOFORM_DIST || path.resolve(__dirname, "..", "..", "dist");
const rc = require(`${dist}/provider/router/router-controller`);
const dd = require(`${dist}/provider/formations/dyno-driver`);
const domains = require(`${dist}/provider/tls/domain-provider`).provider;
const { LABEL } = require(`${dist}/provider/docker/labels`);

const o = JSON.parse(process.argv[2]);
const router = { name: o.router, httpPort: o.httpPort };
const network = `dynoform-app-${o.app}`;
const domain = { resource: `${o.app}-domain`, app: o.app, hostname: o.domain, router: o.router, routerHttpPort: o.httpPort, routerHttpsPort: 0, appHostname: `${o.app}.test.localhost`, claimError: "" };
const spec = {
  app: o.app, processType: "web", index: 1, release: "v1", size: "standard-1x", image: o.image, env: {}, network,
  aliases: [rc.dynoAddress(o.app, "web.1", "v1")], webPort: 5000,
  limits: { memoryBytes: 256 * 1024 * 1024, cpuShares: 1024, pidsLimit: 256 },
};
let failures = 0;

async function step(name, fn) {
  try {
    await fn();
  } catch (e) {
    failures++;
    console.log(JSON.stringify({ app: o.app, step: name, error: String(e && e.message ? e.message : e) }));
  }
}

async function up() {
  await step("app create", async () => {
    await rc.ensureNetwork(network, { [LABEL.managed]: "true", [LABEL.role]: "app-network", [LABEL.app]: o.app, [LABEL.hostname]: `${o.app}.test.localhost`, [LABEL.webPort]: "5000", [LABEL.router]: o.router });
    await rc.syncRouter(router);
  });
  await step("formation create", async () => {
    await dd.startDyno(spec);
    await rc.syncRouter(router);
  });
  await step("domain create", () => domains.create(domain));
}

async function destroy() {
  await step("domain delete", () => domains.delete(domain.hostname, domain));
  await step("formation delete", async () => {
    for (const d of await dd.observeDynos(o.app)) await dd.stopDyno(d.id ?? d.name);
    await rc.syncRouter(router);
  });
  await step("app delete", () => rc.removeAppNetwork(router, network));
}

(async () => {
  for (let r = 0; r < o.rounds; r++) {
    await up();
    await destroy();
  }
  if (o.endDeployed) await up();
  process.exit(failures ? 1 : 0);
})();
