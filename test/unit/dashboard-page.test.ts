import { describe, expect, it } from "vitest";
import { chartGeometry, dashboardPage } from "../../cli/dashboard-page";

const input = { width: 200, height: 100, left: 40, bottom: 20 };

describe("the dashboard page", () => {
  it("scales to a round maximum and spreads the grid across the plot", () => {
    const g = chartGeometry({ ...input, times: [0, 60, 120], series: [{ name: "web.1", points: [0, 130, 260] }] });
    expect(g.yMax).toBe(300);
    expect(g.lines).toEqual([{ name: "web.1", d: "M40 80 L116 48.8 L192 17.6", dashed: false, count: 3 }]);
    expect(g.yTicks.map((t) => t.value)).toEqual([0, 150, 300]);
    expect(g.xTicks.map((t) => t.time)).toEqual([0, 60, 120]);
    expect(chartGeometry({ ...input, times: [0], series: [{ name: "x", points: [0.3] }] }).yMax).toBe(0.3);
    expect(chartGeometry({ ...input, times: [0], series: [{ name: "x", points: [0] }] }).yMax).toBe(1);
  });

  it("breaks a line at a gap and draws a lone point as a dot", () => {
    const g = chartGeometry({ ...input, times: [0, 1, 2, 3, 4], series: [{ name: "q", points: [10, 10, null, 10, null], dashed: true }] });
    expect(g.lines[0]).toEqual({ name: "q", d: "M40 8 L78 8 M154 8 h0.1", dashed: true, count: 3 });
  });

  it("is one page whose script parses, with a picker for each window the page offers", () => {
    const html = dashboardPage();
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? "";
    expect(() => new Function(script)).not.toThrow();
    expect(script).toContain("const chartGeometry = ");
    for (const w of ["2h", "24h", "3d", "7d"]) expect(html).toContain(`data-since="${w}"`);
  });
});
