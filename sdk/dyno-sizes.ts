/**
 * The dyno size catalog: every size Heroku sells, with what it gives and what its tier allows.
 * Defined once here; the tier rules, the Docker limits, the cost estimate and docs/dyno-sizes.md
 * are all derived from this table. Sources: ../shared/heroku-facts.md §1–2 and the seed page.
 */

export type Tier = "eco" | "basic" | "standard" | "performance" | "private" | "shield";
/** Where a size runs: the shared Common Runtime, or a Private/Shield Space of its own. */
export type Runtime = "common" | "private" | "shield";
export type MetricsRetention = "none" | "24h" | "7d";

export interface TierFeatures {
  /** More than one dyno per process type. */
  horizontalScaling: boolean;
  /** New web dynos start and pass checks before the old ones stop. */
  preboot: boolean;
  autoscaling: boolean;
  metricsRetention: MetricsRetention;
  /** Language runtime metrics (Node.js heap, GC time, event-loop delay), from a preload only these dynos get. */
  runtimeMetrics: boolean;
  thresholdAlerting: boolean;
  /** Web dynos sleep after 30 minutes without a request. */
  sleeps: boolean;
  dedicatedCompute: boolean;
}

export interface DynoSize {
  name: string;
  tier: Tier;
  runtime: Runtime;
  memoryMb: number;
  /** Heroku's compute multiplier: the CPU share relative to a 1X dyno (minimum, for burstable sizes). */
  compute: number;
  dedicated: boolean;
  /** US dollars per dyno per month; Eco is a flat fee per account, not per dyno. */
  priceUsdPerMonth: number;
  /** Where the price comes from, when Heroku does not publish it. */
  priceSource: "heroku" | "third-party" | "estimate";
  /** Process/thread limit inside one dyno. */
  maxProcesses: number;
  /**
   * Heroku's R15 threshold as a multiple of `memoryMb`: over the quota a dyno keeps running (R14
   * errors in its log) up to quota × this, where it is killed (R15) and restarted as a crash.
   */
  r15Factor: number;
  /** Most dynos of one process type (Heroku's scaling limits). */
  maxQuantityPerProcessType: number;
  /** Most process types an app on this tier may declare. */
  maxProcessTypes: number;
  features: TierFeatures;
}

const ECO: TierFeatures = {
  horizontalScaling: false,
  preboot: false,
  autoscaling: false,
  metricsRetention: "none",
  runtimeMetrics: false,
  thresholdAlerting: false,
  sleeps: true,
  dedicatedCompute: false,
};
const BASIC: TierFeatures = { ...ECO, metricsRetention: "24h", sleeps: false };
const STANDARD: TierFeatures = {
  horizontalScaling: true,
  preboot: true,
  autoscaling: false,
  metricsRetention: "7d",
  runtimeMetrics: true,
  thresholdAlerting: true,
  sleeps: false,
  dedicatedCompute: false,
};
const PERFORMANCE: TierFeatures = { ...STANDARD, autoscaling: true, dedicatedCompute: true };
/** Spaces deploy with rolling deploys instead of preboot (heroku-facts §2). */
const SPACE: TierFeatures = { ...PERFORMANCE, preboot: false };

type Row = [
  name: string,
  tier: Tier,
  memoryMb: number,
  compute: number,
  price: number,
  priceSource: DynoSize["priceSource"],
  maxProcesses: number,
  r15Factor?: number,
];

const ROWS: Row[] = [
  ["eco", "eco", 512, 1, 5, "heroku", 256],
  ["basic", "basic", 512, 1, 7, "heroku", 256],
  ["standard-1x", "standard", 512, 1, 25, "heroku", 256],
  ["standard-2x", "standard", 1024, 2, 50, "heroku", 512],
  ["performance-m", "performance", 2560, 12, 250, "heroku", 16384],
  ["performance-l", "performance", 14336, 50, 500, "heroku", 32768],
  // The large sizes are killed at 1.2× their quota, not 2× (heroku-facts §3).
  ["performance-l-ram", "performance", 30720, 24, 500, "third-party", 24576, 1.2],
  ["performance-xl", "performance", 63488, 50, 750, "third-party", 32768, 1.2],
  ["performance-2xl", "performance", 129024, 100, 1500, "third-party", 65536, 1.2],
  ["private-s", "private", 1024, 12, 125, "third-party", 512],
  ["private-m", "private", 2560, 12, 250, "estimate", 16384],
  ["private-l", "private", 14336, 50, 500, "estimate", 32768],
  ["shield-s", "shield", 1024, 12, 150, "third-party", 512],
  ["shield-m", "shield", 2560, 12, 300, "estimate", 16384],
  ["shield-l", "shield", 14336, 50, 600, "estimate", 32768],
];

const TIER: Record<
  Tier,
  {
    runtime: Runtime;
    features: TierFeatures;
    maxQuantityPerProcessType: number;
    maxProcessTypes: number;
    dedicated: boolean;
    /** The tier's R15 threshold, unless a row names its own. */
    r15Factor: number;
  }
> = {
  eco: { runtime: "common", features: ECO, maxQuantityPerProcessType: 1, maxProcessTypes: 2, dedicated: false, r15Factor: 2 },
  basic: { runtime: "common", features: BASIC, maxQuantityPerProcessType: 1, maxProcessTypes: 10, dedicated: false, r15Factor: 2 },
  standard: {
    runtime: "common",
    features: STANDARD,
    maxQuantityPerProcessType: 100,
    maxProcessTypes: Infinity,
    dedicated: false,
    r15Factor: 2,
  },
  performance: {
    runtime: "common",
    features: PERFORMANCE,
    maxQuantityPerProcessType: 10,
    maxProcessTypes: Infinity,
    dedicated: true,
    r15Factor: 2,
  },
  // Private and Shield dynos may have no swap: killed at their quota (heroku-facts §3).
  private: { runtime: "private", features: SPACE, maxQuantityPerProcessType: 10, maxProcessTypes: Infinity, dedicated: true, r15Factor: 1 },
  shield: { runtime: "shield", features: SPACE, maxQuantityPerProcessType: 10, maxProcessTypes: Infinity, dedicated: true, r15Factor: 1 },
};

/** Every dyno size, in catalog order. */
export const DYNO_SIZES: readonly DynoSize[] = Object.freeze(
  ROWS.map(([name, tier, memoryMb, compute, priceUsdPerMonth, priceSource, maxProcesses, r15Factor]) => {
    const t = TIER[tier];
    return Object.freeze({
      name,
      tier,
      runtime: t.runtime,
      memoryMb,
      compute,
      dedicated: t.dedicated,
      priceUsdPerMonth,
      priceSource,
      maxProcesses,
      r15Factor: r15Factor ?? t.r15Factor,
      maxQuantityPerProcessType: t.maxQuantityPerProcessType,
      maxProcessTypes: t.maxProcessTypes,
      features: t.features,
    });
  }),
);

export const DYNO_SIZE_NAMES = DYNO_SIZES.map((s) => s.name) as readonly string[];

/** Heroku caps an app at 100 dynos in total. */
export const MAX_DYNOS_PER_APP = 100;
/** At most two Eco dynos of an app run at once. */
export const MAX_RUNNING_ECO_DYNOS = 2;

export function getDynoSize(name: string): (DynoSize & { docker: DockerLimits }) | undefined {
  const size = DYNO_SIZES.find((s) => s.name === name);
  return size && { ...size, docker: dockerLimits(size) };
}

/** How a size becomes a container's limits on a Docker Engine. */
export interface DockerLimits {
  /**
   * Hard memory limit, and the swap limit too (no swap): the size's R15 threshold (quota ×
   * `r15Factor`), so the kernel kills the dyno where Heroku would (R15); between the quota and
   * this, the dyno manager logs R14 errors and the dyno keeps running.
   */
  memoryBytes: number;
  /** The size's memory quota (`memoryMb`): over it, R14. */
  memoryQuotaBytes: number;
  /**
   * CPU weight relative to other containers: 1024 per compute unit, so a 2X dyno gets twice a
   * 1X dyno's share under contention. One engine cannot dedicate cores, so dedicated sizes get weight, not pinning.
   */
  cpuShares: number;
  pidsLimit: number;
}

export function dockerLimits(size: DynoSize): DockerLimits {
  const quota = size.memoryMb * 1024 * 1024;
  return {
    memoryBytes: Math.round(quota * size.r15Factor),
    memoryQuotaBytes: quota,
    cpuShares: 1024 * size.compute,
    pidsLimit: size.maxProcesses,
  };
}
