import { drainUrlProblem } from "./drain-url";
import type * as pulumi from "@pulumi/pulumi";
import * as net from "node:net";
import { z } from "zod";
import { APP_NAME, CONFIG_VAR_NAME, HOSTNAME, SPACE_NAME, type NameRule } from "./names";
import { maintenancePageProblem } from "./maintenance";

/**
 * One zod schema per resource's provider inputs: the providers' `check` parses with them, and
 * the input types are inferred from them. Messages follow the name rules: what is wrong, the
 * rule's id where it has one, and the fix; `checkInputs` puts the resource's name in front.
 */

/** Pulumi's placeholder for a value not known at preview: such a field is checked at `up`. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const known = (v: unknown): boolean => v !== undefined && v !== UNKNOWN;

/** A string that satisfies a name rule, with the rule's own message. */
function named(r: NameRule, prefix = "") {
  return z.string().superRefine((v, ctx) => {
    const problem = r.check(v);
    if (problem) ctx.addIssue({ code: "custom", message: prefix + problem });
  });
}

/** Config vars: names by the config-var rule; values are never put in a message. */
const ConfigVars = z
  .record(z.string(), z.string({ error: "a config var's value is not a string. Fix: give config vars string values (String(x))" }))
  .superRefine((vars, ctx) => {
    for (const key of Object.keys(vars)) {
      const problem = CONFIG_VAR_NAME.check(key);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }
  });

/** A message carried in from program time (a source folder that could not be read, arguments that contradict). */
// `: boolean`, not a type guard: a guard would narrow the field's type to "" and no message could be carried.
const carriedProblem = z.string().refine((s): boolean => s === "", { error: (iss) => String(iss.input) });

const port = (what: string, fix: string) =>
  z.number({ error: `${what} is not a port. Fix: ${fix}` }).refine((p) => Number.isInteger(p) && p >= 0 && p <= 65535, {
    error: (iss) => `${what} ${iss.input} is not a port (rule space-port). Fix: ${fix}`,
  });

/** `10.0.0.0/16` or `203.0.113.7/32`: an IPv4 or IPv6 address and a prefix length. */
export function cidrProblem(range: string): string | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(range);
  const family = m ? net.isIP(m[1]) : 0;
  if (!m || family === 0 || Number(m[2]) > (family === 4 ? 32 : 128)) {
    return `trusted IP range ${JSON.stringify(range)} is not a CIDR range (rule space-trusted-range). Fix: write it as address/prefix, e.g. "203.0.113.0/24" or "127.0.0.1/32"`;
  }
  return undefined;
}

/** One process type's share of a formation, the one shape everywhere (program, provider, formation file, tier rules). */
export const ProcessSchema = z.object({
  quantity: z.number({ error: "quantity must be a number" }),
  size: z.string({ error: "size must be a dyno size name, like standard-1x" }),
});
export type ProcessShape = z.infer<typeof ProcessSchema>;

/** Web autoscaling (Performance, Private, Shield): the quantity moves between min and max. */
export const AutoscalingSchema = z.object({ min: z.number(), max: z.number(), p95ResponseTimeMs: z.number().optional() });

/** Heroku's sensitivity windows for threshold alerts, in minutes (High, Medium, Low). */
export const ALERT_WINDOWS_MINUTES = [1, 5, 10] as const;

/**
 * One process type's threshold alerts (Standard, Performance, Private, Shield): an alert fires
 * when a threshold is exceeded in every minute of the window, and resolves when it is back under
 * for a whole window.
 */
export const AlertThresholdsSchema = z
  .object({
    p95ResponseTimeMs: z
      .number()
      .refine((v) => Number.isInteger(v) && v > 0, {
        error: (iss) => `alerts p95ResponseTimeMs ${iss.input} is not a whole number of ms above 0. Fix: give a response time, e.g. 500`,
      })
      .optional(),
    failedRequestPercent: z
      .number()
      .refine((v) => v > 0 && v <= 100, {
        error: (iss) => `alerts failedRequestPercent ${iss.input} is not a percentage above 0. Fix: give 0 < percent ≤ 100, e.g. 5`,
      })
      .optional(),
    windowMinutes: z
      .number()
      .refine((v) => (ALERT_WINDOWS_MINUTES as readonly number[]).includes(v), {
        error: (iss) => `alerts windowMinutes ${iss.input} is not one of Heroku's sensitivities. Fix: use 1, 5 or 10 (minutes)`,
      })
      .default(5),
  })
  .refine((a) => a.p95ResponseTimeMs !== undefined || a.failedRequestPercent !== undefined, {
    error: "alerts without a threshold. Fix: give p95ResponseTimeMs, failedRequestPercent or both",
  });
export type AlertThresholds = z.infer<typeof AlertThresholdsSchema>;

/** A webhook URL: http(s) with a host; "" for none. Never in a message: it may hold a token. */
export const WebhookUrlSchema = z.string().refine((u) => u === "" || /^https?:\/\/[^/?#\s]+(?:[/?#]\S*)?$/.test(u), {
  error:
    "alerts.webhookUrl is not an http(s) URL (its value is not shown: it may hold a token). Fix: give the URL the alerts are POSTed to, like https://hooks.example.com/dynoform",
});

/** A process type as the tier rules and the formation file see it: the same shape, with autoscaling. */
export const ProcessSpecSchema = ProcessSchema.extend({ autoscaling: AutoscalingSchema.optional() });
export type ProcessSpec = z.infer<typeof ProcessSpecSchema>;

export const SpaceInputsSchema = z.object({
  name: named(SPACE_NAME),
  shield: z.boolean(),
  trustedIpRanges: z.array(z.string()).superRefine((ranges, ctx) => {
    for (const range of ranges) {
      const problem = cidrProblem(range);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }
  }),
  /** 0: pick a free port at creation. */
  httpPort: port("httpPort", "use 1–65535, or leave it out to pick a free one"),
  httpsPort: port("httpsPort", "use 1–65535, or leave it out to pick a free one"),
  /** Where the space is made: absent for the local Docker Engine, or a Swarm cluster (declared below). */
  engine: z.lazy(() => SwarmEngineSchema).optional(),
});

/** How an app sees the space it runs in (plain data, carried in the App's state). */
export const SpacePlacementSchema = z.object({
  name: z.string(),
  shield: z.boolean(),
  network: z.string(),
  router: z.string(),
  httpPort: z.number(),
  httpsPort: z.number(),
  trustedIpRanges: z.array(z.string()),
});

/** A Swarm stack's engine (sdk/engine.ts), recorded in each resource's state; absent on one Docker Engine. */
export const SwarmEngineSchema = z.object({
  kind: z.literal("swarm"),
  host: z.string(),
  tls: z.object({ ca: z.string(), cert: z.string(), key: z.string() }).optional(),
  registry: z.object({ push: z.string(), pull: z.string(), username: z.string().optional(), password: z.string().optional() }),
});

export const AppInputsSchema = z.object({
  name: named(APP_NAME),
  sourceDir: z.string(),
  sourceHash: z.string(),
  /** `dockerfile`, a detected language, or `image` for a prebuilt image. */
  build: z.enum(["dockerfile", "node", "python", "static", "image"]),
  /** The prebuilt image reference, when `build` is `image`. */
  imageRef: z.string(),
  /** For a git source: the repository (no credentials), the ref, and the commit it pointed to. */
  git: z.object({ repository: z.string(), ref: z.string(), commit: z.string() }).optional(),
  /** Set when the source folder could not be read: a preview failure. */
  sourceError: carriedProblem,
  /** Process type → command from the Procfile. */
  processCommands: z.record(z.string(), z.string()),
  releaseCommand: z.string(),
  config: ConfigVars,
  secrets: ConfigVars,
  generation: z.enum(["cedar", "fir"], {
    error: (iss) => `generation "${iss.input}" is not one of cedar, fir. Fix: use "cedar" (x86-64) or "fir" (ARM64)`,
  }),
  hostnames: z.array(z.string()),
  webPort: z.number(),
  router: z.string(),
  routerHttpPort: z.number(),
  /** The router's HTTPS port on 127.0.0.1, published when the router is created. */
  routerHttpsPort: z.number(),
  /** Plain HTTP to a custom domain with a certificate is redirected to HTTPS. */
  httpsRedirect: z.boolean(),
  /** The space the app runs in; undefined on the Common Runtime. */
  space: SpacePlacementSchema.optional(),
  /** The space's name ("" on the Common Runtime) and kind, known at preview. */
  spaceName: z.string(),
  spaceShield: z.boolean(),
  /** Maintenance mode: the router answers every request with the 503 maintenance page (H80). */
  maintenance: z.boolean().optional(),
  /** The custom maintenance page (sdk/maintenance.ts): "", `url:…` or `html:…`; carries a file that could not be read. */
  maintenancePage: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      const problem = maintenancePageProblem(v ?? "");
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
  /** Where the app runs: absent for the local Docker Engine, or a Swarm cluster. */
  engine: SwarmEngineSchema.optional(),
});

export const FormationInputsSchema = z.object({
  /** The Pulumi resource name, for messages. */
  resource: z.string(),
  app: z.string(),
  release: z.string(),
  image: z.string(),
  config: z.record(z.string(), z.string()),
  /** The app's secret config vars (kept secret in state). */
  secrets: z.record(z.string(), z.string()),
  processCommands: z.record(z.string(), z.string()),
  network: z.string(),
  webPort: z.number(),
  /** The router that serves the app: the formation points it at the live web dynos. */
  router: z.string(),
  routerHttpPort: z.number(),
  routerHttpsPort: z.number(),
  /** The app's space and whether it is Shield; undefined on the Common Runtime. */
  space: z.object({ name: z.string(), shield: z.boolean() }).optional(),
  /** The space's network, which every dyno joins too ("" on the Common Runtime). */
  spaceNetwork: z.string(),
  /** Process type → quantity and size; the tier rules check names, quantities and sizes together. */
  processes: z.record(z.string(), ProcessSpecSchema),
  preboot: z.boolean(),
  bootTimeoutSeconds: z
    .number()
    .positive({ error: "bootTimeoutSeconds must be above 0. Fix: leave it out (60, as Heroku) or give a number of seconds" }),
  ecoSleepAfterSeconds: z
    .number()
    .positive({ error: "ecoSleepAfterSeconds must be above 0. Fix: leave it out (1800, as Heroku) or give a number of seconds" }),
  /** Process type → threshold alerts; the tier rules check which process types and sizes may have them. */
  alerts: z.record(z.string(), AlertThresholdsSchema).default({}),
  /** Secret: where alerts are POSTed ("" for none: the log line only). */
  alertWebhookUrl: WebhookUrlSchema.default(""),
  /** The metrics page's base URL (DYNOFORM_DASHBOARD_URL): alerts link to `<it>/?app=<app>&type=<type>`. */
  dashboardUrl: z.string().default(""),
  /** Where the dynos run: absent for the local Docker Engine, or a Swarm cluster. */
  engine: SwarmEngineSchema.optional(),
});

export const DomainInputsSchema = z.object({
  /** The Pulumi resource name, for messages. */
  resource: z.string(),
  app: named(APP_NAME, "app "),
  hostname: named(HOSTNAME),
  router: z.string(),
  routerHttpPort: z.number(),
  routerHttpsPort: z.number(),
  /** The app's own hostname (`<app>.<base domain>`): the CNAME target. */
  appHostname: z.string(),
  /** Set when another Domain of this program claims the same hostname. */
  claimError: carriedProblem,
  /** The Swarm the router runs on; absent on one Docker Engine. */
  engine: SwarmEngineSchema.optional(),
});

export const CertificateInputsSchema = z.object({
  /** The Pulumi resource name, for messages. */
  resource: z.string(),
  hostname: named(HOSTNAME),
  router: z.string(),
  routerHttpPort: z.number(),
  routerHttpsPort: z.number(),
  source: z.enum(["acme", "uploaded"]),
  acmeEmail: z.string().refine((e) => e === "" || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e), {
    error: (iss) =>
      `acme.email "${iss.input}" is not an email address. Fix: use an address that can receive the CA's expiry notices, like ops@example.com`,
  }),
  acmeDirectoryUrl: z.string().refine((u) => u === "" || /^https?:\/\/\S+$/.test(u), {
    error: (iss) =>
      `acme.directoryUrl "${iss.input}" is neither a URL nor one of letsencrypt, letsencrypt-staging. Fix: use one of those names, or the https:// URL of an ACME directory`,
  }),
  acmeCaCertificates: z.string(),
  renewBeforeDays: z
    .number({
      error: (iss) =>
        `acme.renewBeforeDays ${iss.input} is not a positive number of days. Fix: leave it out (30, as Heroku) or give a number above 0`,
    })
    .refine((d) => d > 0, {
      error: (iss) =>
        `acme.renewBeforeDays ${iss.input} is not a positive number of days. Fix: leave it out (30, as Heroku) or give a number above 0`,
    }),
  /** Secret. Empty: generated at creation and kept. */
  accountKey: z.string(),
  /** PEM CSR for ACME orders, from the `tls.CertRequest`; empty (stacks made by 0.1): a key and CSR are generated per order. */
  csr: z.string().default(""),
  /** Secret. The PEM key `csr` was made with, from the `tls.PrivateKey`. */
  csrPrivateKey: z.string().default(""),
  uploadedChain: z.string(),
  /** Secret. */
  uploadedKey: z.string(),
  /** Set when the arguments contradict each other. */
  argsError: carriedProblem,
  /** The Swarm the router runs on; absent on one Docker Engine. */
  engine: SwarmEngineSchema.optional(),
});

/** Every provider's outputs record the Dynoform that wrote them; states of 0.1 lack it. */
export const LogDrainInputsSchema = z.object({
  /** The Pulumi resource name, for messages. */
  resource: z.string(),
  /** The app whose lines it gets, or "" for a space-level drain. */
  app: z.string(),
  /** The Shield space whose apps' lines it gets, or "" for an app-level drain. */
  space: z.string(),
  /** Whether that space is a Shield space (space-level drains are a Shield feature). */
  spaceShield: z.boolean(),
  url: z.string().superRefine((v, ctx) => {
    const problem = drainUrlProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
  trustedCa: z.string().refine((v) => v === "" || /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(v), {
    error:
      "trustedCa is not a PEM certificate (rule log-drain-trusted-ca). Fix: give the CA's certificate as PEM text (-----BEGIN CERTIFICATE----- …), or leave trustedCa out to trust the system's CAs only",
  }),
});

export interface Versioned {
  providerVersion?: string;
}

/**
 * Parses a resource's inputs at `check`: each known field against its schema (fields unknown at
 * preview are checked at `up`), each problem prefixed with the resource, e.g. `App "api": …`.
 * `properties` names the field in each failure (the engine then prints its value, so only for
 * resources without secrets).
 */
export function checkInputs<S extends z.ZodObject>(
  schema: S,
  news: Record<string, unknown>,
  what: string,
  opts: { properties?: boolean } = {},
): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  for (const [key, field] of Object.entries(schema.shape) as Array<[string, z.ZodType]>) {
    const value = news?.[key];
    if (value === UNKNOWN) continue;
    const r = field.safeParse(value);
    if (r.success) continue;
    // A problem with a part not known at preview (a new Space's port, say) is checked at `up`.
    const issues = r.error.issues.filter((i) => valueAt(value, i.path) !== UNKNOWN);
    if (issues.length === 0) continue;
    const issue = issues[0];
    const message =
      issue.code === "custom" || issue.message.includes("Fix:")
        ? issue.message
        : `input ${key} ${issue.message.replace(/^Invalid input: /, "")}. Fix: this input is made by Dynoform's SDK; upgrade both together`;
    failures.push({ property: opts.properties ? key : "", reason: `${what}: ${message}` });
    for (const i of issues.filter((x) => x.code === "custom" && x !== issue))
      failures.push({ property: opts.properties ? key : "", reason: `${what}: ${i.message}` });
  }
  return failures;
}

function valueAt(value: unknown, at: ReadonlyArray<PropertyKey>): unknown {
  let v = value;
  for (const key of at) v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[key] : undefined;
  return v;
}
