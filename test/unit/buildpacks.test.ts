import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { detectLanguage, dockerfileFor } from "../../sdk/buildpacks";

describe("buildpacks", () => {
  const dirs: string[] = [];
  const tmp = (files: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-bp-"));
    dirs.push(dir);
    for (const [f, c] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), c);
    return dir;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it("detects Node.js before Python before a static site", () => {
    expect(detectLanguage(tmp({ "package.json": "{}", "requirements.txt": "", "index.html": "" }))).toBe("node");
    expect(detectLanguage(tmp({ "requirements.txt": "", "index.html": "" }))).toBe("python");
    expect(detectLanguage(tmp({ "index.html": "" }))).toBe("static");
    expect(detectLanguage(tmp({ "main.go": "" }))).toBeUndefined();
  });

  it("builds on the stack image and installs dependencies only when there are some", () => {
    const bare = dockerfileFor("node", tmp({ "package.json": "{}" }));
    expect(bare).toContain("FROM debian:bookworm-slim");
    expect(bare).toContain("install -y --no-install-recommends nodejs &&");
    expect(bare).not.toContain("npm install");
    const withDeps = dockerfileFor("node", tmp({ "package.json": JSON.stringify({ dependencies: { express: "^4" } }) }));
    expect(withDeps).toContain("nodejs npm");
    expect(withDeps).toContain("RUN npm install --omit=dev");
    expect(dockerfileFor("python", tmp({ "requirements.txt": "# none\n" }))).not.toContain("pip3 install");
    expect(dockerfileFor("python", tmp({ "requirements.txt": "flask==3.0\n" }))).toContain(
      "pip3 install --no-cache-dir --break-system-packages -r requirements.txt",
    );
    expect(dockerfileFor("static", tmp({ "index.html": "" }))).toContain('busybox httpd -f -v -p \\"$PORT\\" -h /app');
  });

  it("builds a Fir app on the ARM64 stack image, which has a tag of its own", () => {
    const dir = tmp({ "index.html": "" });
    expect(dockerfileFor("static", dir, "fir")).toContain("FROM arm64v8/debian:bookworm-slim\n");
    expect(dockerfileFor("static", dir, "fir").replace("arm64v8/", "")).toBe(dockerfileFor("static", dir, "cedar"));
  });
});

describe("buildpack images run unprivileged", () => {
  it("creates the dyno user (uid 10000) owning /app, and switches to it just before CMD", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-bp-"));
    try {
      fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ dependencies: { express: "^4" } }));
      const lines = dockerfileFor("node", dir).trimEnd().split("\n");
      expect(lines[2]).toBe(
        "RUN groupadd --gid 10000 dyno && useradd --uid 10000 --gid 10000 --home-dir /app --no-create-home --shell /bin/sh dyno && install -d -o dyno -g dyno /app",
      );
      expect(lines).toContain("COPY --chown=dyno:dyno . /app");
      // Dependencies install as root (read-only to the app); the app itself runs as dyno.
      expect(lines.slice(-3)).toEqual(["ENV HOME=/app", "USER dyno", 'CMD ["node", "."]']);
      for (const language of ["python", "static"] as const) {
        fs.writeFileSync(path.join(dir, language === "python" ? "requirements.txt" : "index.html"), "");
        expect(dockerfileFor(language, dir).trimEnd().split("\n").slice(-2, -1)).toEqual(["USER dyno"]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
