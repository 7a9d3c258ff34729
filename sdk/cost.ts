import { getDynoSize } from "./dyno-sizes";
import type { ProcessSpec } from "./tier-rules";

/** One line of the estimate. */
export interface CostLine {
  processType: string;
  size: string;
  quantity: number;
  usd: number;
}

/** Monthly cost from the catalog's prices, as Heroku would bill it. */
export interface CostEstimate {
  totalUsd: number;
  lines: CostLine[];
}

/**
 * Estimated monthly cost of a formation. Counts `quantity` dynos (for autoscaling, the quantity
 * it starts at, not its maximum). Eco is a flat fee per account whatever the number of Eco dynos,
 * so it is counted once, on the first Eco process type that runs.
 */
export function estimateMonthlyCost(processes: Record<string, ProcessSpec>): CostEstimate {
  const lines: CostLine[] = [];
  let ecoCounted = false;
  for (const [processType, p] of Object.entries(processes)) {
    const size = getDynoSize(p.size);
    const quantity = Number.isInteger(p.quantity) && p.quantity > 0 ? p.quantity : 0;
    let usd = 0;
    if (size && quantity > 0) {
      if (size.tier === "eco") {
        usd = ecoCounted ? 0 : size.priceUsdPerMonth;
        ecoCounted = true;
      } else usd = size.priceUsdPerMonth * quantity;
    }
    lines.push({ processType, size: p.size, quantity, usd });
  }
  return { totalUsd: lines.reduce((n, l) => n + l.usd, 0), lines };
}
