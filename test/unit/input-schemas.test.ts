import { describe, expect, it } from "vitest";
import type { FormationOutputs } from "../../sdk/formation";
import { AppInputsSchema, checkInputs, UNKNOWN } from "../../sdk/input-schemas";
import { PROVIDER_VERSION } from "../../sdk/lazy-provider";
import { SPACE_NAME } from "../../sdk/names";
import { provider as certificates } from "../../provider/tls/certificate-provider";
import { provider as domains } from "../../provider/tls/domain-provider";
import { diffFormation, provider as formations } from "../../provider/formations/formation-provider";

const app = {
  name: "api",
  sourceDir: "/src",
  sourceHash: "abc",
  build: "dockerfile",
  imageRef: "",
  sourceError: "",
  processCommands: { web: "serve" },
  releaseCommand: "",
  config: { NODE_ENV: "production" },
  secrets: { TOKEN: "s3cret-value" },
  generation: "cedar",
  hostnames: ["api.dynoform.localhost"],
  webPort: 5000,
  router: "dynoform-router",
  routerHttpPort: 8080,
  routerHttpsPort: 8443,
  httpsRedirect: false,
  maintenance: false,
  maintenancePage: "",
  spaceName: "",
  spaceShield: false,
};

const formation: FormationOutputs = {
  resource: "api",
  app: "api",
  release: "v1",
  image: "sha256:1",
  config: { A: "1" },
  secrets: { S: "x" },
  processCommands: { web: "serve" },
  network: "n",
  webPort: 5000,
  router: "dynoform-router",
  routerHttpPort: 8080,
  routerHttpsPort: 8443,
  spaceNetwork: "",
  processes: { web: { quantity: 1, size: "standard-1x" } },
  preboot: false,
  bootTimeoutSeconds: 60,
  ecoSleepAfterSeconds: 1800,
  dynos: ["web.1"],
  estimatedMonthlyCost: 25,
  alerts: {},
  alertWebhookUrl: "",
  dashboardUrl: "http://127.0.0.1:9190",
};

describe("one zod schema per resource's inputs", () => {
  it("accepts what the SDK makes, and names resource, rule and fix for what it refuses", () => {
    expect(checkInputs(AppInputsSchema, app, 'App "api"')).toEqual([]);
    const failures = checkInputs(
      AppInputsSchema,
      { ...app, name: "Bad_App", config: { PORT: "1", "1X": "2" }, generation: "x86" },
      'App "Bad_App"',
    );
    expect(failures.map((f) => f.reason)).toEqual([
      expect.stringMatching(/^App "Bad_App": "Bad_App" is not a valid app name \(rule app-name\)\. Fix: /),
      expect.stringMatching(/^App "Bad_App": config var PORT is set by Dynoform .*\(rule config-var-reserved\)\. Fix: /),
      expect.stringMatching(/^App "Bad_App": "1X" is not a valid config var name \(rule config-var-name\)\. Fix: /),
      'App "Bad_App": generation "x86" is not one of cedar, fir. Fix: use "cedar" (x86-64) or "fir" (ARM64)',
    ]);
  });

  it("never puts a secret value in a message", () => {
    const failures = checkInputs(AppInputsSchema, { ...app, secrets: { "BAD-KEY": "s3cret-value", OTHER: 42 } }, 'App "api"');
    expect(failures.length).toBeGreaterThan(0);
    expect(JSON.stringify(failures)).not.toContain("s3cret-value");
  });

  it("leaves fields unknown at preview for `up`", () => {
    expect(checkInputs(AppInputsSchema, { ...app, name: UNKNOWN, routerHttpPort: UNKNOWN }, 'App "?"')).toEqual([]);
    // A new Space's outputs inside the App's placement, and a config value from another resource.
    const space = {
      name: "pay",
      shield: false,
      network: UNKNOWN,
      router: UNKNOWN,
      httpPort: UNKNOWN,
      httpsPort: UNKNOWN,
      trustedIpRanges: [],
    };
    expect(checkInputs(AppInputsSchema, { ...app, space, config: { URL: UNKNOWN } }, 'App "api"')).toEqual([]);
    expect(checkInputs(AppInputsSchema, { ...app, space, config: { "BAD-KEY": UNKNOWN } }, 'App "api"')).toHaveLength(1);
  });

  it("carries program-time problems through as they are", () => {
    const f = checkInputs(
      AppInputsSchema,
      { ...app, sourceError: 'source folder "./x" does not exist. Fix: point it at a folder' },
      'App "api"',
    );
    expect(f.map((x) => x.reason)).toEqual(['App "api": source folder "./x" does not exist. Fix: point it at a folder']);
  });

  it("Domain and Certificate checks keep their messages", async () => {
    const domain = domainInputs("not a host");
    const d = await domains.check!(domain, domain);
    expect(d.failures!.map((f) => f.reason)).toEqual([
      expect.stringMatching(/^Domain "www": "not a host" is not a valid hostname \(rule hostname\)\. Fix: /),
    ]);
    const cert = {
      resource: "www",
      hostname: "*.example.com",
      router: "r",
      routerHttpPort: 1,
      routerHttpsPort: 2,
      source: "acme" as const,
      acmeEmail: "nope",
      acmeDirectoryUrl: "ftp:x",
      acmeCaCertificates: "",
      renewBeforeDays: 0,
      accountKey: "",
      csr: "",
      csrPrivateKey: "",
      uploadedChain: "",
      uploadedKey: "",
      argsError: "",
    };
    const c = await certificates.check!(cert, cert);
    expect(c.failures!.map((f) => f.reason)).toEqual([
      'Certificate "www": acme.email "nope" is not an email address. Fix: use an address that can receive the CA\'s expiry notices, like ops@example.com',
      expect.stringContaining('Certificate "www": acme.directoryUrl "ftp:x" is neither a URL'),
      expect.stringContaining('Certificate "www": acme.renewBeforeDays 0 is not a positive number of days'),
      expect.stringContaining('Certificate "www": ACME issues wildcard certificates (*.example.com) only through DNS-01 challenges'),
    ]);
  });

  it("Formation: the tier rules speak for processes, with their ids", async () => {
    const r = await formations.check!(formation, {
      ...formation,
      processes: { web: { quantity: -1, size: "standard-1x" } },
      bootTimeoutSeconds: 0,
    });
    expect(r.failures!.map((f) => f.reason)).toEqual([
      expect.stringMatching(/^Formation "api", process type "web": quantity -1 .*\(rule quantity-invalid\)\. Fix: /),
      expect.stringMatching(/^Formation "api": bootTimeoutSeconds must be above 0\. Fix: /),
    ]);
  });
});

describe("Formation alerts", () => {
  const alerts = { web: { p95ResponseTimeMs: 500, windowMinutes: 1 } };

  it("are checked at preview: Heroku's windows, a threshold, an http(s) webhook whose value is never shown", async () => {
    const r = await formations.check!(formation, {
      ...formation,
      alerts: { web: { failedRequestPercent: 120, windowMinutes: 3 } as never },
      alertWebhookUrl: "ftp://user:TOKEN@hooks.example.com/x",
    });
    const reasons = r.failures!.map((f) => f.reason);
    expect(reasons).toEqual([
      'Formation "api": alerts failedRequestPercent 120 is not a percentage above 0. Fix: give 0 < percent ≤ 100, e.g. 5',
      expect.stringContaining('Formation "api": alerts windowMinutes 3 is not one of Heroku\'s sensitivities. Fix: use 1, 5 or 10'),
      expect.stringMatching(/^Formation "api": alerts\.webhookUrl is not an http\(s\) URL .*Fix: /),
    ]);
    expect(reasons.join("\n")).not.toContain("TOKEN");
    const none = await formations.check!(formation, { ...formation, alerts: { web: { windowMinutes: 5 } } });
    expect(none.failures!.map((f) => f.reason)).toEqual([
      expect.stringContaining("alerts without a threshold. Fix: give p95ResponseTimeMs"),
    ]);
  });

  it("are refused on Basic with the tier rule's id", async () => {
    const r = await formations.check!(formation, { ...formation, processes: { web: { quantity: 1, size: "basic" } }, alerts });
    expect(r.failures!.map((f) => f.reason)).toEqual([expect.stringContaining("(rule alerts-not-allowed)")]);
  });

  it("changes to thresholds or webhook are updates; a state from before alerts diffs clean", () => {
    const withAlerts = { ...formation, alerts, alertWebhookUrl: "", dashboardUrl: "http://d" };
    expect(diffFormation(formation, { ...formation, alerts: {}, alertWebhookUrl: "", dashboardUrl: "http://d" })).toMatchObject({
      changes: false,
    });
    expect(diffFormation(formation, withAlerts)).toMatchObject({ changes: true, replaces: [] });
    expect(diffFormation(withAlerts, { ...withAlerts, alertWebhookUrl: "https://h/x" })).toMatchObject({ changes: true });
    expect(diffFormation(withAlerts, { ...withAlerts })).toMatchObject({ changes: false });
  });
});

describe("Formation diff", () => {
  it("an app updating (its name unknown at preview) is an update, not a replace", async () => {
    const news = { ...formation, app: UNKNOWN, release: UNKNOWN, image: UNKNOWN };
    expect(diffFormation(formation, news)).toMatchObject({ changes: true, replaces: [] });
    expect(diffFormation(formation, { ...formation, app: "other" })).toMatchObject({ changes: true, replaces: ["app"] });
  });

  it("an autoscaled web quantity the manager moved is no change; a new range is", () => {
    const autoscaling = { min: 1, max: 10, p95ResponseTimeMs: 300 };
    const state = { ...formation, processes: { web: { quantity: 4, size: "performance-m", autoscaling } } };
    const program = { ...formation, processes: { web: { quantity: 1, size: "performance-m", autoscaling } } };
    expect(diffFormation(state, program)).toMatchObject({ changes: false });
    expect(
      diffFormation(state, { ...program, processes: { web: { ...program.processes.web, autoscaling: { ...autoscaling, max: 3 } } } }),
    ).toMatchObject({
      changes: true,
    });
  });

  it("a state written before providerVersion existed diffs clean", async () => {
    const { dynos: _d, estimatedMonthlyCost: _c, ...inputs } = formation;
    expect(formation.providerVersion).toBeUndefined();
    expect(diffFormation(formation, inputs)).toMatchObject({ changes: false });
  });
});

/** A Domain's inputs as the SDK makes them, for `hostname`. */
function domainInputs(hostname: string) {
  return {
    resource: "www",
    app: "api",
    hostname,
    router: "r",
    routerHttpPort: 1,
    routerHttpsPort: 2,
    appHostname: "api.x",
    claimError: "",
  };
}

describe("providerVersion", () => {
  it("is recorded in outputs", async () => {
    const domain = domainInputs("www.example.com");
    const r = await domains.update!(
      "www.example.com",
      { ...domain, dnsTarget: "api.x", dnsRecordType: "CNAME", dnsAddress: "127.0.0.1" },
      domain,
    );
    expect(r.outs).toMatchObject({ providerVersion: PROVIDER_VERSION });
    expect(PROVIDER_VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("space names", () => {
  it("are bounded, and a short one is told it is too short", () => {
    expect(SPACE_NAME.check("a".repeat(80))).toMatch(/is 80 characters long, and a space name has 3–30 \(rule space-name\)\. Fix: /);
    expect(SPACE_NAME.check("ab")).toMatch(/"ab" is 2 characters long, and a space name has 3–30 \(rule space-name\)/);
    expect(SPACE_NAME.check("a--b")).toMatch(/single dashes/);
    expect(SPACE_NAME.check("a".repeat(30))).toBeUndefined();
  });
});
