import { describe, expect, it } from "vitest";
import { MAINTENANCE_PAGE_MAX_BYTES, maintenancePageProblem, maintenancePageSpec } from "../../sdk/maintenance";

describe("the maintenance page an App gives", () => {
  it("is the router's own, a URL or a file's HTML", () => {
    expect(maintenancePageSpec({})).toBe("");
    expect(maintenancePageSpec({ url: "https://x.example/m" })).toBe("url:https://x.example/m");
    expect(maintenancePageSpec({ html: "<p>hi</p>" })).toBe("html:<p>hi</p>");
  });

  it("accepts http(s) URLs and small pages", () => {
    expect(maintenancePageProblem("")).toBeUndefined();
    expect(maintenancePageProblem("url:https://x.example/m.html")).toBeUndefined();
    expect(maintenancePageProblem(`html:${"x".repeat(MAINTENANCE_PAGE_MAX_BYTES)}`)).toBeUndefined();
  });

  it("refuses other schemes, pages the router cannot hold, and carries program-time problems", () => {
    expect(maintenancePageProblem("url:ftp://x.example/m")).toMatch(/not an http or https URL\. Fix:/);
    expect(maintenancePageProblem("url:not a url")).toMatch(/Fix:/);
    expect(maintenancePageProblem(`html:${"x".repeat(MAINTENANCE_PAGE_MAX_BYTES + 1)}`)).toMatch(/at most 12000\. Fix:/);
    expect(maintenancePageProblem("could not read the maintenance page file")).toBe("could not read the maintenance page file");
  });
});
