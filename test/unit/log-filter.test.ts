import { describe, expect, it } from "vitest";
import { matchesFilter } from "../../cli/log-filter";

describe("Heroku's log filters", () => {
  const l = (source: string) => ({ source });
  const sources = ["app[web.1]", "app[web.2]", "app[worker.1]", "app[release.3]", "heroku[router]"];
  const pick = (f: Parameters<typeof matchesFilter>[1]) => sources.filter((s) => matchesFilter(l(s), f));

  it("--dyno keeps one dyno, or every dyno of a type when given without a number", () => {
    expect(pick({ dyno: "web.2" })).toEqual(["app[web.2]"]);
    expect(pick({ dyno: "web" })).toEqual(["app[web.1]", "app[web.2]"]);
    expect(pick({ dyno: "router" })).toEqual(["heroku[router]"]);
  });

  it("--source app or heroku, --type by process type, and all of them together", () => {
    expect(pick({ source: "app" })).toEqual(["app[web.1]", "app[web.2]", "app[worker.1]", "app[release.3]"]);
    expect(pick({ source: "heroku" })).toEqual(["heroku[router]"]);
    expect(pick({ type: "release" })).toEqual(["app[release.3]"]);
    expect(pick({ source: "app", type: "web", dyno: "web.1" })).toEqual(["app[web.1]"]);
    expect(pick({})).toEqual(sources);
  });

  it("the platform's lines about a dyno are `heroku` lines of that dyno; the drains' are `heroku[logplex]`", () => {
    const all = [...sources, "heroku[web.2]", "heroku[logplex]"];
    const of = (f: Parameters<typeof matchesFilter>[1]) => all.filter((s) => matchesFilter(l(s), f));
    expect(of({ dyno: "web.2" })).toEqual(["app[web.2]", "heroku[web.2]"]);
    expect(of({ source: "heroku", type: "web" })).toEqual(["heroku[web.2]"]);
    expect(of({ source: "heroku", dyno: "logplex" })).toEqual(["heroku[logplex]"]);
  });
});
