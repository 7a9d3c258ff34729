import { describe, expect, it } from "vitest";
import { parseArgs } from "../../cli/args";

describe("parseArgs", () => {
  it("reads valued and boolean flags, then keeps the command whole", () => {
    expect(parseArgs(["--app", "api", "--tail", "-n", "5"], ["app", "n"])).toEqual({
      flags: { app: "api", tail: true, n: "5" },
      positional: [],
    });
    expect(parseArgs(["--app=api", "rake", "--trace", "db:migrate"], ["app"])).toEqual({
      flags: { app: "api" },
      positional: ["rake", "--trace", "db:migrate"],
    });
    expect(parseArgs(["--app", "api", "--", "--help"], ["app"])).toEqual({ flags: { app: "api" }, positional: ["--help"] });
  });

  it("keeps every word after the command as given: spaces, quotes, parentheses, flags", () => {
    const words = ["node", "-e", "console.log(process.env.DYNO)", "a b", `"q" 'r'`, "--app", "x"];
    expect(parseArgs(["--app", "shop", "--", ...words], ["app"]).positional).toEqual(words);
    expect(parseArgs(["-a", "shop", ...words], ["a"])).toEqual({ flags: { a: "shop" }, positional: words });
  });
});
