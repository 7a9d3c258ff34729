import { describe, expect, it } from "vitest";
import { batchScript, splitResults } from "../../provider/metrics/store-reader";

describe("store reader", () => {
  it("runs many statements in one sqlite3 script and splits their JSON answers, empty ones included", () => {
    const script = batchScript(["SELECT 1 AS a;", "SELECT 1 WHERE 0;", "SELECT 'x' AS b;"]);
    expect(script.match(/^\.print /gm)).toHaveLength(3);
    // What `sqlite3 -json` prints for that script: nothing for an empty result.
    const output = '[{"a":1}]\n--dynoform-next-result--\n--dynoform-next-result--\n[{"b":"x"},\n{"b":"y"}]\n--dynoform-next-result--\n';
    expect(splitResults(output, 3)).toEqual([[{ a: 1 }], [], [{ b: "x" }, { b: "y" }]]);
    // No store yet: no output at all.
    expect(splitResults("", 2)).toEqual([[], []]);
  });
});
