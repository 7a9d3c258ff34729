/**
 * A space router's rules (its space's name, kind and trusted ranges), on either engine. They ride
 * on the router's labels (a container's on one engine, a service's on a Swarm), so every later
 * change to the router renders them again without asking the Space.
 */
import { LABEL } from "../docker/labels";

/** The space a router belongs to. */
export interface SpaceRouterRules {
  name: string;
  /** Shield: query strings (where tokens travel) stay out of the request log; TLS 1.2 at least. */
  shield: boolean;
  /** Trusted IP ranges: connections from any other source are refused. Empty: all. */
  trustedIpRanges: string[];
}

/** Heroku's floor for a Shield space's HTTPS (HAProxy's `ssl-min-ver`). */
export const SHIELD_TLS_MIN_VERSION = "TLSv1.2";

/** Pure: the labels that carry the rules (none for a Common Runtime router). */
export function spaceRouterLabels(space: SpaceRouterRules | undefined): Record<string, string> {
  if (!space) return {};
  return { [LABEL.space]: space.name, [LABEL.shield]: String(space.shield), [LABEL.trustedRanges]: space.trustedIpRanges.join(",") };
}

/** Pure: the rules read back from a router's labels; undefined for a Common Runtime router. */
export function spaceRouterRulesOf(labels: Record<string, string> | undefined): SpaceRouterRules | undefined {
  if (!labels?.[LABEL.space]) return undefined;
  return {
    name: labels[LABEL.space],
    shield: labels[LABEL.shield] === "true",
    trustedIpRanges: (labels[LABEL.trustedRanges] ?? "").split(",").filter(Boolean),
  };
}
