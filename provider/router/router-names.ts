/**
 * Names inside the router that other processes use too: the dyno manager (which carries only a
 * few compiled modules in its image) and `dynoform logs`. No imports, so it travels alone.
 */

/** The HAProxy backend of an app. */
export function backendName(app: string): string {
  return `app_${app.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}

/** The router's admin socket: a unix socket in its own filesystem, reached only through `docker exec`. */
export const ADMIN_SOCKET = "/run/haproxy-admin.sock";

/** The ring buffer that holds the router's request log (`show events requests` on the admin socket). */
export const REQUEST_LOG_RING = "requests";

/**
 * Exists inside a router while the engine's Eco dyno hour pool is used up: the dyno manager
 * writes and removes it, router/wake.lua reads it and answers H82 instead of waking an Eco app.
 */
export const ECO_POOL_EMPTY_FILE = "/etc/haproxy/eco-pool-empty";
