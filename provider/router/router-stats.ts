/** One row of the router's statistics (HAProxy's `show stat` CSV), by column name: `pxname`, `svname`, `status`, `scur`, `lastsess`, … */
export type StatRow = Record<string, string>;

/**
 * Reads HAProxy's `show stat` CSV (a `# `-prefixed header, then one line per proxy or server).
 * By column name, not position: the columns HAProxy prints grow between versions.
 */
export function parseShowStat(csv: string): StatRow[] {
  const [head, ...lines] = csv.split("\n");
  const header = (head ?? "").replace(/^# /, "").split(",");
  return lines
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const cells = line.split(",");
      return Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""]));
    })
    .filter((row) => row.svname);
}

/** The health of each server (dyno) of a backend: `UP`, `DOWN`, `MAINT`, `DRAIN`, …; no BACKEND/FRONTEND rows. */
export function serverStatuses(csv: string, backend?: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const row of parseShowStat(csv)) {
    if (row.svname === "BACKEND" || row.svname === "FRONTEND") continue;
    if (backend === undefined || row.pxname === backend) out.set(row.svname, row.status);
  }
  return out;
}

/** Whether the server's last health check passed (`UP`, or `UP 1/2` while rising). */
export const isUp = (status: string | undefined): boolean => /^UP/.test(status ?? "");
