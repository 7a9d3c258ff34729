import { describe, expect, it } from "vitest";
import { parseArgs } from "../../cli/args";

describe("parseArgs", () => {
  it("reads valued and boolean flags, then keeps the command whole", () => {
    expect(parseArgs(["--app", "api", "--tail", "-n", "5"], ["app", "n"])).toEqual({ flags: { app: "api", tail: true, n: "5" }, positional: [] });
    expect(parseArgs(["--app=api", "rake", "--trace", "db:migrate"], ["app"])).toEqual({ flags: { app: "api" }, positional: ["rake", "--trace", "db:migrate"] });
    expect(parseArgs(["--app", "api", "--", "--help"], ["app"])).toEqual({ flags: { app: "api" }, positional: ["--help"] });
  });
});
