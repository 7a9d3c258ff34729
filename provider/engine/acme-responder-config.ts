/**
 * The cluster's ACME HTTP-01 responder, pure: one small HAProxy that answers the pending
 * challenges of a router. Every router replica forwards `/.well-known/acme-challenge/` to it
 * (over the router's own overlay network), so a challenge is answered whichever edge node the
 * CA reaches, and a new challenge restarts this one task, never a router.
 */
import { renderTlsHttpRules, type AcmeChallenge } from "../tls/router-tls";

/** The responder's port on its overlay network. */
export const ACME_RESPONDER_PORT = 8402;

/** The responder service (and its overlay network) of a router. */
export const acmeResponderName = (router: string) => `${router}-acme`;

export function renderAcmeResponderConfig(challenges: AcmeChallenge[]): string {
  return [
    "global",
    "  log stdout format raw local0",
    "",
    "defaults",
    "  mode http",
    "  log global",
    "  timeout connect 5s",
    "  timeout client 30s",
    "  timeout server 30s",
    "",
    "frontend acme",
    `  bind :${ACME_RESPONDER_PORT}`,
    "  http-request set-var(txn.host) req.hdr(host),field(1,:),lower",
    ...renderTlsHttpRules({ certificates: [], challenges, redirectHosts: [] }, undefined),
    '  http-request return status 404 content-type text/plain string "No such challenge\\n"',
    "",
  ].join("\n");
}
