import { DYNO_SIZES } from "./dyno-sizes";
import { TIER_RULES } from "./tier-rules";

const yes = (b: boolean) => (b ? "yes" : "–");

/** docs/dyno-sizes.md, rendered from the catalog and the rules so the docs cannot drift. */
export function renderSizeDoc(): string {
  const head =
    "| size | tier | runtime | RAM | compute | dedicated | $/month | R15 at | max processes | max per type | max types | scaling | preboot | autoscaling | metrics | runtime metrics | sleeps |";
  const sep = `|${"---|".repeat(17)}`;
  const rows = DYNO_SIZES.map((s) =>
    [
      s.name,
      s.tier,
      s.runtime,
      s.memoryMb >= 1024 ? `${+(s.memoryMb / 1024).toFixed(1)} GB` : `${s.memoryMb} MB`,
      `${s.compute}x`,
      yes(s.dedicated),
      `${s.priceUsdPerMonth}${s.tier === "eco" ? " (flat, per account)" : ""}${s.priceSource === "heroku" ? "" : ` (${s.priceSource})`}`,
      `${s.r15Factor}× RAM`,
      s.maxProcesses,
      s.maxQuantityPerProcessType,
      Number.isFinite(s.maxProcessTypes) ? s.maxProcessTypes : "unlimited",
      yes(s.features.horizontalScaling),
      yes(s.features.preboot),
      yes(s.features.autoscaling),
      s.features.metricsRetention,
      yes(s.features.runtimeMetrics),
      yes(s.features.sleeps),
    ].join(" | "),
  ).map((r) => `| ${r} |`);
  const rules = TIER_RULES.map((r) => `| \`${r.id}\` | ${r.summary} |`);
  return [
    "# Dyno sizes and tier rules",
    "",
    "Generated from `sdk/dyno-sizes.ts` and `sdk/tier-rules.ts` (a unit test keeps this file equal to them).",
    "On a Docker Engine a size becomes a hard memory limit at its R15 threshold (RAM × the R15 factor, no swap: over the RAM the dyno",
    "runs on with R14 errors in its log, at the threshold the kernel kills it: R15 and a crash restart), a CPU weight of 1024 per",
    "compute unit, and a process limit. Runtime metrics: Node.js apps built from a `package.json` report heap, GC time and",
    'event-loop delay (README "Metrics").',
    "",
    head,
    sep,
    ...rows,
    "",
    "## Rules checked at `pulumi preview` and by `dynoform check`",
    "",
    "| rule | what it says |",
    "|---|---|",
    ...rules,
    "",
  ].join("\n");
}
