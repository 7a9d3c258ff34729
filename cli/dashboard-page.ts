/**
 * The page `dynoform dashboard` serves: Heroku's Metrics tab on one screen — app, process type
 * and window pickers, then a chart per series family (metrics-series.ts's CHARTS), drawn as inline
 * SVG by a small script from the JSON API. No charting library: the charts are a few lines each,
 * and SVG keeps every line an element that tests and people can inspect (`data-series`,
 * `data-latest`), which a canvas chart would not.
 *
 * {@link chartGeometry} is pure and unit-tested here; the page carries its source text.
 */

/** A chart's input: the grid's times and each series' points on it. */
export interface GeometryInput {
  times: number[];
  series: Array<{ name: string; points: Array<number | null>; dashed?: boolean }>;
  width: number;
  height: number;
  /** Room for the axes' labels: left and bottom. */
  left: number;
  bottom: number;
}

/** Where each series' line goes (SVG path data), and the axes' ticks. */
export interface Geometry {
  yMax: number;
  yTicks: Array<{ y: number; value: number }>;
  xTicks: Array<{ x: number; time: number }>;
  lines: Array<{ name: string; d: string; dashed: boolean; count: number }>;
}

/**
 * Scales the series into the plot area: y from 0 to a round maximum (1, 2 or 5 × 10ⁿ) above the
 * highest value, x evenly over the grid; a gap (null) breaks the line, a lone point is a dot.
 * Self-contained (no imports, no outer names): the page runs its source text.
 */
export function chartGeometry(input: GeometryInput): Geometry {
  const plotW = input.width - input.left - 8;
  const plotH = input.height - input.bottom - 8;
  let max = 0;
  for (const s of input.series) for (const v of s.points) if (v !== null && v > max) max = v;
  let yMax = 1;
  if (max > 0) {
    const mag = 10 ** Math.floor(Math.log10(max));
    const steps = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];
    let k = 0;
    while (Number((steps[k] * mag).toPrecision(6)) < max) k++;
    yMax = Number((steps[k] * mag).toPrecision(6));
  }
  const n = input.times.length;
  const xOf = (i: number) => input.left + (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW);
  const yOf = (v: number) => 8 + plotH - (v / yMax) * plotH;
  const fmt = (v: number) => String(Math.round(v * 10) / 10);
  const lines = input.series.map((s) => {
    let d = "";
    let count = 0;
    let open = false;
    for (let i = 0; i < s.points.length; i++) {
      const v = s.points[i];
      if (v === null) {
        open = false;
        continue;
      }
      const next = i + 1 < s.points.length ? s.points[i + 1] : null;
      const x = fmt(xOf(i));
      const y = fmt(yOf(v));
      if (!open) d += `${d ? " " : ""}M${x} ${y}${next === null ? " h0.1" : ""}`;
      else d += ` L${x} ${y}`;
      open = true;
      count++;
    }
    return { name: s.name, d, dashed: s.dashed === true, count };
  });
  const yTicks = [0, 0.5, 1].map((f) => ({ y: Math.round(yOf(f * yMax) * 10) / 10, value: f * yMax }));
  const xTicks: Array<{ x: number; time: number }> = [];
  if (n > 0)
    for (const i of [0, Math.floor((n - 1) / 2), n - 1])
      if (!xTicks.some((t) => t.time === input.times[i])) xTicks.push({ x: Math.round(xOf(i) * 10) / 10, time: input.times[i] });
  return { yMax, yTicks, xTicks, lines };
}

const STYLE = `
:root { font: 14px system-ui, sans-serif; color: #3f3f44; background: #f7f8fb; }
body { margin: 0; }
header { display: flex; gap: 16px; align-items: center; padding: 12px 24px; background: #fff; border-bottom: 1px solid #e3e6ef; }
header h1 { font-size: 16px; margin: 0 16px 0 0; color: #79589f; }
select, button { font: inherit; padding: 4px 10px; border: 1px solid #cfd5e3; border-radius: 4px; background: #fff; }
.windows button[aria-pressed="true"] { background: #79589f; color: #fff; border-color: #79589f; }
.windows button:disabled { color: #b5b9c4; }
#message { margin: 16px 24px; padding: 12px 16px; border-radius: 4px; background: #fdf1f1; color: #a0282b; }
#message:empty { display: none; }
#meta { margin: 12px 24px 0; color: #7b8091; }
main { display: grid; align-items: start; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; padding: 16px 24px; }
section.chart { background: #fff; border: 1px solid #e3e6ef; border-radius: 6px; padding: 12px 16px; }
section.chart h2 { font-size: 14px; margin: 0 0 4px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 0 0 6px; font-size: 12px; list-style: none; padding: 0; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.empty { color: #9aa0ae; font-size: 12px; }
svg text { font-size: 10px; fill: #7b8091; }
svg .grid { stroke: #eef0f5; }
svg path.series { fill: none; stroke-width: 1.8; stroke-linejoin: round; stroke-linecap: round; }
svg path.limit { stroke-dasharray: 5 4; stroke-width: 1.4; }
`;

/** The page's script: reads the pickers from the URL, fetches the API, draws the charts. */
const SCRIPT = `
const __name = (f) => f; // the bundler of the tests names functions with it
const chartGeometry = ${chartGeometry.toString()};
const COLORS = ["#79589f", "#3d9ad1", "#d0824a", "#4aa57a", "#c0504d", "#8a8f9c", "#b5a42e", "#2f6f8f"];
const LIMIT_COLOR = "#c0504d";
const params = new URLSearchParams(location.search);
// type "" is every process type; absent, the page opens on web as Heroku's tab does.
const state = { app: params.get("app") || "", type: params.get("type"), since: params.get("since") || "2h" };
const refreshSeconds = Number(params.get("refresh") ?? "30");
const $ = (sel) => document.querySelector(sel);
const el = (name, attrs = {}, ns) => {
  const e = ns ? document.createElementNS("http://www.w3.org/2000/svg", name) : document.createElement(name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
};
const fmt = (v) => (v === null || v === undefined ? "–" : Math.abs(v) >= 100 ? String(Math.round(v)) : String(Math.round(v * 100) / 100));
const timeLabel = (t, res) => {
  const iso = new Date(t * 1000).toISOString();
  return res >= 3600 ? iso.slice(5, 10) + " " + iso.slice(11, 16) : iso.slice(11, 16);
};
let apps = [];

function setMessage(text) { $("#message").textContent = text || ""; }

function syncUrl() {
  const p = new URLSearchParams({ app: state.app, type: state.type, since: state.since });
  if (params.has("refresh")) p.set("refresh", String(refreshSeconds));
  history.replaceState(null, "", "?" + p.toString());
}

function renderPickers() {
  const appSel = $("#app");
  appSel.replaceChildren(...apps.map((a) => { const o = el("option", { value: a.name }); o.textContent = a.name + " (" + a.tier + ")"; return o; }));
  appSel.value = state.app;
  const app = apps.find((a) => a.name === state.app);
  const typeSel = $("#type");
  typeSel.replaceChildren(...["", ...(app ? app.processTypes : [])].map((t) => { const o = el("option", { value: t }); o.textContent = t || "all types"; return o; }));
  typeSel.value = state.type;
  for (const b of document.querySelectorAll(".windows button")) {
    const kept = app ? app.windows.includes(b.dataset.since) : false;
    b.disabled = !kept;
    b.title = kept ? "" : app ? app.tier + " keeps " + (app.windows.at(-1) || "no metrics") : "";
    b.setAttribute("aria-pressed", String(b.dataset.since === state.since));
  }
}

function drawChart(chart, report) {
  const section = el("section", { class: "chart", "data-chart": chart.id });
  const h2 = el("h2");
  h2.textContent = chart.title + (chart.unit ? " (" + chart.unit + ")" : "");
  section.append(h2);
  const data = chart.series.filter((s) => s.latest !== null || s.points.some((p) => p !== null));
  if (data.length === 0) {
    section.dataset.state = "empty";
    const p = el("p", { class: "empty" });
    p.textContent =
      chart.id === "errors"
        ? "No router errors in this window."
        : chart.id === "response_time" || chart.id === "throughput"
          ? "No requests through the router in this window."
          : "No data in this window.";
    section.append(p);
    return section;
  }
  section.dataset.state = "ready";
  const W = 560, H = 190;
  const g = chartGeometry({ times: report.times, series: data.map((s) => ({ name: s.name, points: s.points, dashed: s.name === chart.limit })), width: W, height: H, left: 44, bottom: 20 });
  const legend = el("ul", { class: "legend" });
  const svg = el("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "aria-label": chart.title }, true);
  for (const t of g.yTicks) {
    svg.append(el("line", { class: "grid", x1: 44, x2: W - 8, y1: t.y, y2: t.y }, true));
    const label = el("text", { x: 40, y: t.y + 3, "text-anchor": "end" }, true);
    label.textContent = fmt(t.value);
    svg.append(label);
  }
  for (const t of g.xTicks) {
    const anchor = t.x < 60 ? "start" : t.x > W - 60 ? "end" : "middle";
    const label = el("text", { x: t.x, y: H - 4, "text-anchor": anchor }, true);
    label.textContent = timeLabel(t.time, report.resolutionSeconds);
    svg.append(label);
  }
  let colorIndex = 0;
  g.lines.forEach((line, i) => {
    const s = data[i];
    const color = line.dashed ? LIMIT_COLOR : COLORS[colorIndex++ % COLORS.length];
    const path = el("path", { class: "series" + (line.dashed ? " limit" : ""), d: line.d, stroke: color, "data-series": s.name, "data-latest": s.latest === null ? "" : String(s.latest), "data-points": line.count }, true);
    const title = el("title", {}, true);
    title.textContent = s.name + ": " + fmt(s.latest) + " " + chart.unit;
    path.append(title);
    svg.append(path);
    const item = el("li", { "data-series": s.name });
    const swatch = el("i");
    swatch.style.background = color;
    // Counts read as totals over the window; levels as their newest value.
    const limits = data.filter((x) => x.name === chart.limit).length;
    const name = line.dashed && limits > 1 ? s.name + " " + (s.labels.process_type || "") : s.name;
    const text = chart.id === "events" ? name + " " + s.points.reduce((a, p) => a + (p || 0), 0) + " in window" : name + " " + fmt(s.latest);
    item.append(swatch, document.createTextNode(text));
    legend.append(item);
  });
  section.append(legend, svg);
  return section;
}

// Loads overlap (a picker changed while the last answer is on its way, the refresh timer): only
// the newest one draws and says the page is ready, so an older answer never paints over it.
let loads = 0;
async function loadMetrics() {
  const load = ++loads;
  document.body.dataset.ready = "false";
  syncUrl();
  renderPickers();
  const charts = $("#charts");
  if (!state.app) {
    charts.replaceChildren();
    setMessage(apps.length ? "" : "No app has dynos on this Docker Engine.");
    document.body.dataset.ready = "true";
    return;
  }
  const q = new URLSearchParams({ since: state.since });
  if (state.type) q.set("type", state.type);
  const res = await fetch("/api/apps/" + encodeURIComponent(state.app) + "/metrics?" + q.toString());
  const body = await res.json();
  if (load !== loads) return;
  if (!res.ok) {
    charts.replaceChildren();
    $("#meta").textContent = "";
    setMessage(body.error);
  } else {
    setMessage("");
    $("#meta").textContent = "Past " + state.since + " at " + (body.resolutionSeconds >= 3600 ? body.resolutionSeconds / 3600 + " h" : body.resolutionSeconds / 60 + " min") + " resolution · times in UTC";
    const shown = body.charts.filter((c) => !c.optional || c.series.some((x) => x.points.some((p) => p !== null)));
    charts.replaceChildren(...shown.map((c) => drawChart(c, body)));
  }
  document.body.dataset.ready = "true";
}

async function start() {
  const res = await fetch("/api/apps");
  apps = (await res.json()).apps;
  if (!apps.some((a) => a.name === state.app)) state.app = state.app || (apps.find((a) => a.windows.length) || apps[0] || { name: "" }).name;
  const app = apps.find((a) => a.name === state.app);
  if (state.type === null) state.type = app && app.processTypes.includes("web") ? "web" : (app && app.processTypes[0]) || "";
  $("#app").addEventListener("change", (e) => { state.app = e.target.value; const a = apps.find((x) => x.name === state.app); state.type = a && a.processTypes.includes("web") ? "web" : (a && a.processTypes[0]) || ""; loadMetrics(); });
  $("#type").addEventListener("change", (e) => { state.type = e.target.value; loadMetrics(); });
  for (const b of document.querySelectorAll(".windows button")) b.addEventListener("click", () => { state.since = b.dataset.since; loadMetrics(); });
  await loadMetrics();
  if (refreshSeconds > 0) setInterval(loadMetrics, refreshSeconds * 1000);
}
start().catch((e) => { setMessage("The dashboard could not load: " + e.message); document.body.dataset.ready = "true"; });
`;

/** The windows the page offers, as Heroku's Metrics tab. */
export const WINDOWS = ["2h", "24h", "3d", "7d"] as const;

/** The whole page: markup, style and script in one response, nothing else to fetch but the API. */
export function dashboardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dynoform metrics</title>
<style>${STYLE}</style>
</head>
<body data-ready="false">
<header>
  <h1>Dynoform · Metrics</h1>
  <label>App <select id="app"></select></label>
  <label>Process type <select id="type"></select></label>
  <span class="windows" role="group" aria-label="Time window">${WINDOWS.map((w) => `<button type="button" data-since="${w}">Past ${w}</button>`).join("")}</span>
</header>
<div id="message" role="alert"></div>
<div id="meta"></div>
<main id="charts"></main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
