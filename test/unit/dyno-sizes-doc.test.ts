import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { renderSizeDoc } from "../../sdk/dyno-sizes-doc";

describe("docs/dyno-sizes.md", () => {
  it("is exactly what the catalog renders (regenerate: npm run docs)", () => {
    expect(fs.readFileSync(path.join(__dirname, "../../docs/dyno-sizes.md"), "utf8")).toBe(renderSizeDoc());
  });
});
