import { describe, expect, it } from "vitest";
import {
  configOf,
  describeRelease,
  formatChanges,
  formatReleases,
  recordFromLabels,
  recordLabels,
  recordsToPrune,
  releaseChanges,
  rollbackProblem,
  type ReleaseRecord,
} from "../../provider/apps/release-record";

const rec = (n: number, over: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
  release: `v${n}`,
  number: n,
  createdAt: `2026-01-0${n}T10:00:00.000Z`,
  imageId: `sha256:${String(n).repeat(64)}`,
  imageTag: `dynoform/app-shop:h${n}`,
  sourceHash: `hash${n}abcdef0123`,
  configKeys: ["API_TOKEN", "GREETING"],
  secretKeys: ["API_TOKEN"],
  releaseCommand: "",
  releasePhaseRan: false,
  description: "Initial release",
  changes: { image: true, added: [], changed: [], removed: [] },
  ...over,
});

describe("release records", () => {
  it("name the config vars added, changed and removed, comparing values they never keep", () => {
    const c = releaseChanges(
      { imageId: "a", config: { GREETING: "Hi", API_TOKEN: "s1", OLD: "x" } },
      { imageId: "a", config: { GREETING: "Hi", API_TOKEN: "s2", NEW: "y" } },
    );
    expect(c).toEqual({ image: false, added: ["NEW"], changed: ["API_TOKEN"], removed: ["OLD"] });
    expect(JSON.stringify(recordLabels(rec(2, { changes: c })))).not.toMatch(/s1|s2|"x"|"y"/);
  });

  it("describe a release as Heroku does", () => {
    const none = { image: false, added: [], changed: [], removed: [] };
    expect(describeRelease({ ...none, image: true }, { first: true })).toBe("Initial release");
    expect(describeRelease({ ...none, image: true }, { sourceHash: "3f2a1c4b99" })).toBe("Deploy 3f2a1c4b");
    expect(describeRelease({ ...none, changed: ["GREETING"], removed: ["OLD"] }, {})).toBe(
      "Set GREETING config vars; Remove OLD config vars",
    );
    expect(describeRelease(none, { rollbackOf: "v2" })).toBe("Rollback to v2");
  });

  it("read back from their labels what they were written with", () => {
    const r = rec(3, {
      releaseCommand: "rake db:migrate",
      releasePhaseRan: true,
      changes: { image: false, added: ["A"], changed: [], removed: [] },
    });
    expect(recordFromLabels("v3", r.imageId, recordLabels(r))).toEqual(r);
    expect(recordFromLabels("latest", r.imageId, recordLabels(r))).toBeUndefined();
  });

  it("keep the repository, ref and commit of a git deploy, and show the commit", () => {
    const commit = "3f2a1c4b5d6e7f8091a2b3c4d5e6f708192a3b4c";
    const r = rec(4, { sourceHash: commit, git: { repository: "https://git.example/shop.git", ref: "main", commit } });
    expect(recordFromLabels("v4", r.imageId, recordLabels(r))).toEqual(r);
    expect(formatChanges(r)).toBe("commit 3f2a1c4b5d6e main");
    expect(describeRelease(r.changes, { sourceHash: commit })).toBe("Deploy 3f2a1c4b");
    expect(recordFromLabels("v1", rec(1).imageId, recordLabels(rec(1)))).not.toHaveProperty("git");
  });

  it("take their config from the environment, leaving the image's own variables out", () => {
    expect(configOf(rec(1), ["PATH=/usr/bin", "GREETING=a=b", "API_TOKEN=t"])).toEqual({ GREETING: "a=b", API_TOKEN: "t" });
  });

  it("keep the newest five and always the live one", () => {
    const all = [1, 2, 3, 4, 5, 6, 7].map((n) => rec(n));
    expect(recordsToPrune(all, "v7").map((r) => r.release)).toEqual(["v2", "v1"]);
    expect(recordsToPrune(all, "v1").map((r) => r.release)).toEqual(["v2"]);
  });

  it("refuse a rollback to a release not kept or whose image is gone, saying what to do", () => {
    const all = [rec(4), rec(5)];
    expect(rollbackProblem("shop", "v2", all, () => true)).toBe(
      'app "shop" has no release v2 kept (kept: v5, v4; the last 5 are). Fix: roll back to one of those, or revert the program and run `pulumi up`',
    );
    expect(rollbackProblem("shop", "v4", all, (id) => id !== rec(4).imageId)).toMatch(/its image 444444444444 is gone .* Fix:/);
    expect(rollbackProblem("shop", "four", all, () => true)).toMatch(/is not a release\. Fix:/);
    expect(rollbackProblem("shpo", "v1", [], () => true)).toMatch(
      /^app "shpo" has no releases on this Docker Engine, .* Fix: check the app's name/,
    );
    expect(rollbackProblem("shop", "v4", all, () => true)).toBeUndefined();
  });

  it("list newest first with what changed, secrets marked by name only, and the images kept", () => {
    const out = formatReleases(
      "shop",
      [
        rec(1),
        rec(2, {
          description: "Set GREETING, API_TOKEN config vars",
          changes: { image: false, added: ["GREETING"], changed: ["API_TOKEN"], removed: [] },
          releaseCommand: "echo hi",
          releasePhaseRan: true,
        }),
      ],
      "v2",
      (id) => id === rec(2).imageId,
    );
    const lines = out.trim().split("\n");
    expect(lines[0]).toBe("=== shop releases (the last 5 are kept, with their images)");
    expect(lines[1]).toMatch(/^VERSION\s+CREATED\s+DESCRIPTION\s+CHANGES\s+RELEASE PHASE\s+IMAGE$/);
    expect(lines[2]).toMatch(
      /^v2 \(current\)\s+2026-01-02T10:00:00Z\s+Set GREETING, API_TOKEN config vars\s+\+GREETING ~API_TOKEN \(secret\)\s+ran\s+kept \(222222222222\)$/,
    );
    expect(lines[3]).toMatch(/^v1\s+2026-01-01T10:00:00Z\s+Initial release\s+image hash1abcdef0\s+none\s+gone$/);
  });
});
