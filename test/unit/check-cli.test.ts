import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCheck } from "../../cli/check";
import { main } from "../../cli/dynoform";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-check-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function check(name: string, content: string) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  let out = "";
  let err = "";
  const code = await runCheck([file], { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe("dynoform check", () => {
  it("accepts a valid YAML formation and prints the cost", async () => {
    const r = await check(
      "ok.yaml",
      "app: api\nprocesses:\n  web: { quantity: 2, size: standard-2x }\n  worker: { quantity: 1, size: performance-m }\npreboot: true\n",
    );
    expect(r).toEqual({ code: 0, out: "ok: app api: web=2:standard-2x worker=1:performance-m; estimated $350/month\n", err: "" });
  });

  it("rejects a JSON formation that mixes Eco and Standard, with the rule's message", async () => {
    const r = await check(
      "mixed.json",
      JSON.stringify({ app: "api", processes: { web: { quantity: 1, size: "eco" }, worker: { quantity: 1, size: "standard-1x" } } }),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('Formation "api", process type "web": size "eco" cannot be combined with "standard-1x"');
    expect(r.err).toContain("rule tier-mixing");
  });

  it("checks threshold alerts: refused on Eco with the rule's id, accepted on Standard", async () => {
    const alerts = "alerts:\n  web: { p95ResponseTimeMs: 500, windowMinutes: 1 }\n";
    const eco = await check("eco-alerts.yaml", `app: api\nprocesses:\n  web: { quantity: 1, size: eco }\n${alerts}`);
    expect(eco.code).toBe(1);
    expect(eco.err).toContain(
      'Formation "api", process type "web": size "eco" does not allow threshold alerts (Eco tier) (rule alerts-not-allowed)',
    );
    const standard = await check("std-alerts.yaml", `app: api\nprocesses:\n  web: { quantity: 1, size: standard-1x }\n${alerts}`);
    expect(standard.code).toBe(0);
  });

  it("rejects a malformed file with the field that is wrong", async () => {
    const r = await check("bad.yaml", "app: Bad_Name\nprocesses:\n  web: { quantity: lots }\n");
    expect(r.code).toBe(1);
    expect(r.err).toContain("app: ");
    expect(r.err).toContain("rule app-name");
    expect(r.err).toContain("processes.web.quantity: quantity must be a number");
  });

  it("explains its usage", async () => {
    let err = "";
    expect(await main(["check"], { stdout: () => undefined, stderr: (t) => (err += t) })).toBe(2);
    expect(err).toContain("usage: dynoform check");
    err = "";
    expect(await main(["nope"], { stdout: () => undefined, stderr: (t) => (err += t) })).toBe(2);
    expect(err).toContain('unknown command "nope"');
  });
});
