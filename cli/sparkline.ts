/**
 * A small terminal chart: one block character per point, the lowest value at ▁ and the highest
 * at █ (a flat series sits at ▁; a point with no data is a space). Longer series are squeezed to
 * `width` columns, each showing the maximum of the points it covers, so a peak is never lost.
 * `floor` fixes the bottom (counts: 0), so one crash does not look like none.
 */
const BLOCKS = "▁▂▃▄▅▆▇█";

export function sparkline(values: Array<number | null>, width = 60, floor?: number): string {
  const columns: Array<number | null> = [];
  const per = Math.max(1, Math.ceil(values.length / width));
  for (let i = 0; i < values.length; i += per) {
    const group = values.slice(i, i + per).filter((v): v is number => v !== null && Number.isFinite(v));
    columns.push(group.length ? Math.max(...group) : null);
  }
  const present = columns.filter((v): v is number => v !== null);
  if (present.length === 0) return " ".repeat(columns.length);
  const [lo, hi] = [floor ?? Math.min(...present), Math.max(...present)];
  return columns.map((v) => (v === null ? " " : BLOCKS[hi === lo ? 0 : Math.round(((v - lo) / (hi - lo)) * (BLOCKS.length - 1))])).join("");
}
