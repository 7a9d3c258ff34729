import type { z } from "zod";
import { DYNO_SIZE_NAMES, getDynoSize, MAX_DYNOS_PER_APP, MAX_RUNNING_ECO_DYNOS, type DynoSize } from "./dyno-sizes";
import type { AlertThresholds, ProcessSpecSchema } from "./input-schemas";
import { PROCESS_TYPE_NAME } from "./names";

/** One process type of a formation, as the rules see it (the one process shape, with autoscaling). */
export type ProcessSpec = z.infer<typeof ProcessSpecSchema>;

/** A whole app's formation: the rules are about combinations, so they see every process type at once. */
export interface FormationSpec {
  /** The Pulumi resource name, used in messages: Formation "api". */
  resource: string;
  app: string;
  processes: Record<string, ProcessSpec>;
  preboot?: boolean;
  /** The Space the app runs in; undefined is the Common Runtime. */
  space?: { name: string; shield: boolean };
  /** Process type → threshold alerts. */
  alerts?: Record<string, Partial<AlertThresholds>>;
}

/** One broken rule: a stable id for tools, and words and a fix for people. */
export interface RuleViolation {
  rule: string;
  resource: string;
  processType?: string;
  message: string;
  fix: string;
}

/** Every rule, for documentation; the ids are stable. */
export const TIER_RULES = [
  { id: "quantity-invalid", summary: "Quantity is a whole number ≥ 0 (0 keeps the process type with no dynos)." },
  { id: "process-type-name", summary: "Process type names are 1–63 of a-z, 0-9, '-', '_'." },
  { id: "size-unknown", summary: "The size is one of the catalog's (a close match is suggested)." },
  { id: "tier-mixing", summary: "Eco and Basic cannot be combined with any other size in one app; Standard and Performance can." },
  { id: "horizontal-scaling", summary: "Eco and Basic run at most 1 dyno per process type." },
  { id: "scale-limit", summary: "At most the size's limit of dynos per process type (Standard 100; Performance, Private, Shield 10)." },
  { id: "process-type-limit", summary: "At most 2 process types on Eco and 10 on Basic." },
  { id: "app-dyno-limit", summary: "At most 100 dynos per app." },
  { id: "eco-running-limit", summary: "At most 2 Eco dynos of an app run at once." },
  { id: "preboot-not-allowed", summary: "Preboot needs Standard or Performance sizes (Spaces use rolling deploys)." },
  { id: "autoscaling-not-allowed", summary: "Autoscaling is for the web process type on Performance, Private and Shield sizes." },
  { id: "autoscaling-range", summary: "Autoscaling needs 1 ≤ min ≤ max ≤ the size's scale limit." },
  {
    id: "alerts-not-allowed",
    summary: "Threshold alerts need Standard, Performance, Private or Shield sizes (not Eco or Basic).",
  },
  { id: "alerts-process-type", summary: "Threshold alerts watch the router's requests: only on the formation's web process type." },
  { id: "space-private-size", summary: "Private sizes run only in a Private (non-Shield) Space." },
  { id: "space-shield-size", summary: "Shield sizes run only in a Shield Space." },
  { id: "space-common-size", summary: "Common Runtime sizes never run in a Space." },
] as const;

export type RuleId = (typeof TIER_RULES)[number]["id"];

/** Checks a formation against every tier rule. Pure; an empty list means the formation is valid. */
export function validateFormation(spec: FormationSpec): RuleViolation[] {
  const out: RuleViolation[] = [];
  const add = (rule: RuleId, processType: string | undefined, problem: string, fix: string) =>
    out.push({
      rule,
      resource: spec.resource,
      processType,
      fix,
      message: `${where(spec.resource, processType)}: ${problem} (rule ${rule}). Fix: ${fix}`,
    });

  const sized: Array<[string, ProcessSpec, DynoSize]> = [];
  for (const [type, p] of Object.entries(spec.processes)) {
    const nameProblem = PROCESS_TYPE_NAME.check(type);
    if (nameProblem)
      add(
        "process-type-name",
        type,
        `process type name ${JSON.stringify(type)} is not valid`,
        "use 1–63 lower-case letters, digits, dashes and underscores, as in the Procfile",
      );
    if (!Number.isInteger(p.quantity) || p.quantity < 0) {
      add(
        "quantity-invalid",
        type,
        `quantity ${p.quantity} is not a whole number of dynos`,
        "set quantity to 0 or more (0 keeps the process type with no dynos)",
      );
    }
    const size = getDynoSize(p.size);
    if (!size) {
      const guess = closest(p.size, DYNO_SIZE_NAMES);
      add(
        "size-unknown",
        type,
        `size ${JSON.stringify(p.size)} is not a dyno size${guess ? ` — did you mean "${guess}"?` : ""}`,
        `use one of ${DYNO_SIZE_NAMES.join(", ")}`,
      );
      continue;
    }
    sized.push([type, p, size]);
  }

  // Mixing: Eco and Basic stand alone; everything else may mix only with tiers that allow it.
  const tiers = new Set(sized.map(([, , s]) => s.tier));
  for (const lonely of ["eco", "basic"] as const) {
    if (tiers.has(lonely) && tiers.size > 1) {
      const [type, , size] = sized.find(([, , s]) => s.tier === lonely)!;
      const others = [...new Set(sized.filter(([, , s]) => s.tier !== lonely).map(([, , s]) => s.name))];
      add(
        "tier-mixing",
        type,
        `size "${size.name}" cannot be combined with ${others.map((o) => `"${o}"`).join(", ")} in one app`,
        `use ${lonely === "eco" ? "Eco" : "Basic"} for every process type, or move every process type to Standard/Performance sizes`,
      );
      break;
    }
  }

  for (const [type, p, size] of sized) {
    if (!Number.isInteger(p.quantity) || p.quantity < 0) continue;
    const count = Math.max(p.quantity, p.autoscaling?.max ?? 0);
    if (!size.features.horizontalScaling && p.quantity > 1) {
      add(
        "horizontal-scaling",
        type,
        `${p.quantity} dynos of size "${size.name}": ${tierName(size)} dynos cannot scale horizontally`,
        `set quantity to 1, or use a Standard or Performance size to run more`,
      );
    } else if (count > size.maxQuantityPerProcessType) {
      add(
        "scale-limit",
        type,
        `${count} dynos of size "${size.name}" exceed its limit of ${size.maxQuantityPerProcessType} per process type`,
        `run at most ${size.maxQuantityPerProcessType}, or split the work across process types`,
      );
    }
    if (p.autoscaling) {
      if (!size.features.autoscaling || type !== "web") {
        add(
          "autoscaling-not-allowed",
          type,
          type !== "web" ? "autoscaling applies to the web process type only" : `size "${size.name}" does not allow autoscaling`,
          "remove autoscaling, or use it on web with a Performance, Private or Shield size",
        );
      } else {
        const { min, max } = p.autoscaling;
        if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || min > max || max > size.maxQuantityPerProcessType) {
          add(
            "autoscaling-range",
            type,
            `autoscaling min ${min} / max ${max} is not a range within 1…${size.maxQuantityPerProcessType}`,
            `set 1 ≤ min ≤ max ≤ ${size.maxQuantityPerProcessType}`,
          );
        }
      }
    }
    if (size.runtime === "private" && (!spec.space || spec.space.shield)) {
      add(
        "space-private-size",
        type,
        `size "${size.name}" runs only in a Private Space${spec.space ? `, and "${spec.space.name}" is a Shield Space` : ""}`,
        spec.space
          ? `use a shield-* size in a Shield Space`
          : `set the app's space to a Private Space, or use a Common Runtime size (standard-*, performance-*)`,
      );
    }
    if (size.runtime === "shield" && !spec.space?.shield) {
      add(
        "space-shield-size",
        type,
        `size "${size.name}" runs only in a Shield Space`,
        spec.space
          ? `use a private-* size in the Private Space "${spec.space.name}", or make it a Shield Space`
          : "set the app's space to a Shield Space, or use a Common Runtime size",
      );
    }
    if (size.runtime === "common" && spec.space) {
      add(
        "space-common-size",
        type,
        `size "${size.name}" is a Common Runtime size and cannot run in the Space "${spec.space.name}"`,
        `use a ${spec.space.shield ? "shield" : "private"}-s/m/l size`,
      );
    }
  }

  const typeCount = Object.keys(spec.processes).length;
  for (const tier of ["eco", "basic"] as const) {
    const s = sized.find(([, , size]) => size.tier === tier)?.[2];
    if (s && typeCount > s.maxProcessTypes) {
      add(
        "process-type-limit",
        undefined,
        `${typeCount} process types, but ${tierName(s)} apps may have at most ${s.maxProcessTypes}`,
        `remove process types, or move the app to Standard or Performance sizes`,
      );
    }
  }

  const total = sized.reduce(
    (n, [, p]) => n + (Number.isInteger(p.quantity) && p.quantity > 0 ? Math.max(p.quantity, p.autoscaling?.max ?? 0) : 0),
    0,
  );
  if (total > MAX_DYNOS_PER_APP)
    add(
      "app-dyno-limit",
      undefined,
      `${total} dynos in total, more than Heroku's ${MAX_DYNOS_PER_APP} per app`,
      `run at most ${MAX_DYNOS_PER_APP} dynos, or split the app`,
    );
  const eco = sized.filter(([, , s]) => s.tier === "eco").reduce((n, [, p]) => n + Math.max(p.quantity, 0), 0);
  if (eco > MAX_RUNNING_ECO_DYNOS)
    add(
      "eco-running-limit",
      undefined,
      `${eco} Eco dynos, but at most ${MAX_RUNNING_ECO_DYNOS} of an app run at once`,
      `run at most ${MAX_RUNNING_ECO_DYNOS} Eco dynos, or move to Basic or Standard`,
    );

  if (spec.preboot) {
    const refusing = sized.filter(([, , s]) => !s.features.preboot);
    if (refusing.length > 0) {
      const [type, , size] = refusing[0];
      add(
        "preboot-not-allowed",
        type,
        `preboot is on, but size "${size.name}" does not allow it`,
        size.runtime === "common"
          ? "turn preboot off, or use Standard or Performance sizes"
          : "turn preboot off: apps in Spaces deploy with rolling deploys instead",
      );
    }
  }
  for (const [type, thresholds] of Object.entries(spec.alerts ?? {})) {
    if (!thresholds) continue;
    if (type !== "web" || !(type in spec.processes)) {
      add(
        "alerts-process-type",
        type,
        type !== "web"
          ? "threshold alerts watch response times and failed requests, which only web dynos serve"
          : "threshold alerts for web, but the formation has no web process type",
        type !== "web" ? `move the alerts to "web", or remove them` : "add web to the formation's processes, or remove its alerts",
      );
      continue;
    }
    const size = sized.find(([t]) => t === type)?.[2];
    if (size && !size.features.thresholdAlerting) {
      add(
        "alerts-not-allowed",
        type,
        `size "${size.name}" does not allow threshold alerts (${tierName(size)} tier)`,
        "remove the alerts, or use a Standard, Performance, Private or Shield size",
      );
    }
  }
  return out;
}

/** The messages, one per line, as a person reads them. */
export function formatViolations(violations: RuleViolation[]): string {
  return violations.map((v) => v.message).join("\n");
}

function where(resource: string, processType?: string): string {
  return processType === undefined ? `Formation "${resource}"` : `Formation "${resource}", process type "${processType}"`;
}

function tierName(size: DynoSize): string {
  return size.tier[0].toUpperCase() + size.tier.slice(1);
}

/** The catalog name nearest to a typo, if it is near enough to be what was meant. */
export function closest(input: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of names) {
    const d = editDistance(String(input).toLowerCase(), name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return bestDistance <= Math.max(2, Math.floor(String(input).length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}
