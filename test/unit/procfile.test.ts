import { describe, expect, it } from "vitest";
import { parseProcfile } from "../../sdk/procfile";

describe("parseProcfile", () => {
  it("reads process types in order, ignoring blanks and comments", () => {
    expect(parseProcfile("web: perl server.pl\n\n# a comment\nworker:  bin/work --fast  \n")).toEqual([
      { processType: "web", command: "perl server.pl" },
      { processType: "worker", command: "bin/work --fast" },
    ]);
  });

  it("names the line of a malformed entry", () => {
    expect(() => parseProcfile("web: ok\nthis is not valid\n")).toThrow(/Procfile:2: expected "<process type>: <command>"/);
  });

  it("refuses a process type defined twice", () => {
    expect(() => parseProcfile("web: a\nweb: b\n")).toThrow(/defined twice/);
  });
});
