import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

// The house's shape, checked: imports flow sdk → provider/<subsystem> → provider/docker, with no
// cycles, so a newcomer can read a folder without reading what depends on it.
const ROOT = path.resolve(__dirname, "../..");
const ROOMS = ["sdk", "provider", "cli"];

function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith(".ts")) out.push(rel);
    }
  };
  for (const r of ROOMS) walk(r);
  return out;
}

/** Relative imports of a module (type-only ones included: they shape the reading too). */
function importsOf(file: string): string[] {
  const code = fs.readFileSync(path.join(ROOT, file), "utf8");
  const specs = [...code.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]);
  return specs.map((s) => `${path.normalize(path.join(path.dirname(file), s))}.ts`).filter((f) => fs.existsSync(path.join(ROOT, f)));
}

const graph = new Map(sources().map((f) => [f, importsOf(f)]));

describe("the layout", () => {
  it("has no import cycles", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        cycles.push([...trail.slice(trail.indexOf(f)), f].join(" → "));
        return;
      }
      state.set(f, "open");
      for (const g of graph.get(f) ?? []) visit(g, [...trail, f]);
      state.set(f, "done");
    };
    for (const f of graph.keys()) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it("keeps the SDK free of provider and CLI code", () => {
    const wrong = [...graph]
      .filter(([f]) => f.startsWith("sdk/"))
      .flatMap(([f, is]) => is.filter((i) => !i.startsWith("sdk/")).map((i) => `${f} imports ${i}`));
    expect(wrong).toEqual([]);
  });

  it("keeps provider/docker at the bottom: it imports no other subsystem", () => {
    const wrong = [...graph]
      .filter(([f]) => f.startsWith("provider/docker/"))
      .flatMap(([f, is]) => is.filter((i) => !i.startsWith("provider/docker/")).map((i) => `${f} imports ${i}`));
    expect(wrong).toEqual([]);
  });

  it("lets no provider module import the CLI", () => {
    const wrong = [...graph]
      .filter(([f]) => f.startsWith("provider/"))
      .flatMap(([f, is]) => is.filter((i) => i.startsWith("cli/")).map((i) => `${f} imports ${i}`));
    expect(wrong).toEqual([]);
  });
});
