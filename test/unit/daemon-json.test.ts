import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { REPO } from "../support/pulumi";

// scripts/setup.sh runs this on /etc/docker/daemon.json; here on files of our own.
describe("scripts/daemon-json.js", () => {
  const dirs: string[] = [];
  const file = (content?: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-daemon-json-"));
    dirs.push(dir);
    const f = path.join(dir, "docker", "daemon.json");
    if (content !== undefined) {
      fs.mkdirSync(path.dirname(f));
      fs.writeFileSync(f, content);
    }
    return f;
  };
  const run = (f: string) => {
    const r = spawnSync("node", [path.join(REPO, "scripts/daemon-json.js"), f], { encoding: "utf8" });
    return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
  };
  const read = (f: string) => JSON.parse(fs.readFileSync(f, "utf8"));
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it("writes a new daemon.json with the address pools and the userland proxy off", () => {
    const f = file();
    expect(run(f)).toEqual({ status: 0, out: "created", err: "" });
    expect(read(f)).toEqual({
      "default-address-pools": [
        { base: "10.200.0.0/13", size: 24 },
        { base: "172.17.0.0/16", size: 24 },
      ],
      "userland-proxy": false,
    });
  });

  it("merges userland-proxy: false into an existing one, keeping its other keys, once", () => {
    const f = file('{ "log-driver": "journald", "default-address-pools": [{ "base": "192.168.0.0/16", "size": 24 }] }');
    expect(run(f).out).toBe("merged");
    expect(read(f)).toEqual({
      "log-driver": "journald",
      "default-address-pools": [{ base: "192.168.0.0/16", size: 24 }],
      "userland-proxy": false,
    });
    const before = fs.readFileSync(f, "utf8");
    expect(run(f).out).toBe("kept");
    expect(fs.readFileSync(f, "utf8")).toBe(before);
  });

  it("leaves an explicit userland-proxy: true alone and says so, and refuses a broken file without touching it", () => {
    const on = file('{"userland-proxy": true}');
    expect(run(on).out).toBe("userland-proxy-on");
    expect(fs.readFileSync(on, "utf8")).toBe('{"userland-proxy": true}');
    const broken = file('{"userland-proxy": ');
    const r = run(broken);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/daemon\.json is not valid JSON .*Fix: correct the file/);
    expect(fs.readFileSync(broken, "utf8")).toBe('{"userland-proxy": ');
  });
});
