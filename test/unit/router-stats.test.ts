import { describe, expect, it } from "vitest";
import { isUp, parseShowStat, serverStatuses } from "../../provider/router/router-stats";

describe("the router's statistics (show stat)", () => {
  const csv = [
    "# pxname,svname,qcur,scur,status,lastsess",
    "app_a,FRONTEND,,0,OPEN,",
    "app_a,web.1,0,2,UP,3",
    "app_a,web.2,0,0,DOWN,-1",
    "app_a,BACKEND,0,2,UP,3",
    "app_b,web.1,1,0,MAINT,",
    "",
  ].join("\n");

  it("reads rows by column name, whatever columns this HAProxy prints", () => {
    const rows = parseShowStat(csv);
    expect(rows).toHaveLength(5);
    expect(rows[1]).toMatchObject({ pxname: "app_a", svname: "web.1", scur: "2", status: "UP", lastsess: "3" });
    expect(parseShowStat("")).toEqual([]);
    expect(parseShowStat("Unknown command\n")).toEqual([]);
  });

  it("gives each server's health, of one backend or all, without the proxy rows", () => {
    expect([...serverStatuses(csv, "app_a")]).toEqual([
      ["web.1", "UP"],
      ["web.2", "DOWN"],
    ]);
    expect(serverStatuses(csv).get("web.1")).toBe("MAINT"); // app_b's web.1 comes last
    expect(serverStatuses("").size).toBe(0);
  });

  it("counts a server as up while its checks pass, rising included", () => {
    expect(isUp("UP")).toBe(true);
    expect(isUp("UP 1/2")).toBe(true);
    expect(isUp("DOWN 1/2")).toBe(false);
    expect(isUp("MAINT")).toBe(false);
    expect(isUp(undefined)).toBe(false);
  });
});
