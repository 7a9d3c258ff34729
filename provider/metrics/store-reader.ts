/**
 * Reads the dyno manager's metrics store for the dashboard and the Prometheus endpoint: SQL runs
 * with `sqlite3 -json` inside the manager's container (the store is on its volume, and the
 * manager has no network to serve it over), several statements in one `docker exec`.
 */
import type Docker from "dockerode";
import { execIn } from "../docker/docker-exec";
import { METRICS_DB } from "../dyno-manager/metrics-store";
import { DYNO_MANAGER } from "../formations/dyno-manager-controller";
import { tablesSql, type StoreRow } from "./metrics-series";

/** Printed between two statements' results, so one exec answers many queries. */
const SEPARATOR = "--dynoform-next-result--";

/** Statements → one sqlite3 script whose output {@link splitResults} takes apart. Pure. */
export function batchScript(statements: string[]): string {
  return statements.map((s) => `${s.trim()}\n.print ${SEPARATOR}\n`).join("");
}

/** sqlite3 -json output of a {@link batchScript} → rows per statement. Pure. */
export function splitResults(output: string, count: number): StoreRow[][] {
  const parts = output.split(`${SEPARATOR}\n`);
  const out: StoreRow[][] = [];
  for (let i = 0; i < count; i++) {
    const text = (parts[i] ?? "").trim();
    out.push(text ? (JSON.parse(text) as StoreRow[]) : []);
  }
  return out;
}

/**
 * Runs the statements against the store; each answer is its rows (none when the store does not
 * exist yet: no sample so far). Fails with the manager's message when it is not running.
 */
export async function queryStore(dockerClient: Docker, statements: string[]): Promise<StoreRow[][]> {
  if (statements.length === 0) return [];
  const container = dockerClient.getContainer(DYNO_MANAGER);
  let result: { exitCode: number; output: string };
  try {
    result = await execIn(container, [
      "sh",
      "-c",
      'test -f "$0" || exit 0; printf "%s" "$1" | exec sqlite3 -bail -json -cmd ".timeout 5000" "$0"',
      METRICS_DB,
      batchScript(statements),
    ]);
  } catch (e) {
    throw new Error(
      `reading the metrics store failed: the dyno manager (${DYNO_MANAGER}) is not reachable (${(e as Error).message}); it runs while an app has dynos (\`dynoform ps\`)`,
    );
  }
  if (result.exitCode !== 0)
    throw new Error(`reading the metrics store (${METRICS_DB} in ${DYNO_MANAGER}) failed: ${result.output.trim()}`);
  return splitResults(result.output, statements.length);
}

/** The store's tables: which sources have data to read (none before the first sample). */
export async function storeTables(dockerClient: Docker): Promise<string[]> {
  const [rows] = await queryStore(dockerClient, [tablesSql]);
  return rows.map((r) => String(r.name));
}
