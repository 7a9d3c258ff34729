import { describe, expect, it } from "vitest";
import {
  certificateMounts,
  currentTlsObjects,
  maintenanceContent,
  maintenanceOfFiles,
  splitTlsFiles,
  tlsFilesOf,
  tlsObjectName,
  type TlsObject,
} from "../../provider/engine/swarm-router-tls";

const chain = "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n";
const key = "-----BEGIN PRIVATE KEY-----\nKKK\n-----END PRIVATE KEY-----\n";
const obj = (o: Partial<TlsObject> & { file: string; createdAt: string }): TlsObject => ({
  id: o.name ?? o.file + o.createdAt,
  name: o.name ?? o.file + o.createdAt,
  kind: "config",
  removed: false,
  ...o,
});

describe("the cluster router's TLS store on Swarm objects", () => {
  it("keeps a certificate's private key out of configs: the key is a secret of its own", () => {
    const parts = splitTlsFiles({ "certs/www.example.com.pem": `${chain}${key}`, "domains/www.example.com.json": "{}" });
    expect(parts).toEqual([
      { file: "certs/www.example.com.pem", content: chain, kind: "config" },
      { file: "certs/www.example.com.pem.key", content: key, kind: "secret" },
      { file: "domains/www.example.com.json", content: "{}", kind: "config" },
    ]);
    expect(parts.filter((p) => p.kind === "config").some((p) => p.content.includes("PRIVATE KEY"))).toBe(false);
  });

  it("refuses a certificate without its key", () => {
    expect(() => splitTlsFiles({ "certs/a.pem": chain })).toThrow(/no private key/);
  });

  it("names objects by router, file and content, so new content is a new object", () => {
    const a = tlsObjectName("dynoform-router", "domains/a.json", "x");
    expect(a).toMatch(/^dynoform-router-tls-[0-9a-f]{12}-[0-9a-f]{12}$/);
    expect(tlsObjectName("dynoform-router", "domains/a.json", "y")).not.toBe(a);
    expect(a.length).toBeLessThanOrEqual(64);
  });

  it("serves the newest object of each file; older and removed ones are garbage", () => {
    const { current, garbage } = currentTlsObjects([
      obj({ file: "certs/a.pem", createdAt: "2026-01-01", content: "old" }),
      obj({ file: "certs/a.pem", createdAt: "2026-02-01", content: "new" }),
      obj({ file: "domains/b.json", createdAt: "2026-03-01", removed: true }),
    ]);
    expect(current.get("certs/a.pem")?.content).toBe("new");
    expect(current.has("domains/b.json")).toBe(false);
    expect(garbage.map((g) => g.content ?? g.file)).toEqual(["domains/b.json", "old"]);
  });

  it("reads configs back as files, never secrets, and maintenance from its own folder", () => {
    const { current } = currentTlsObjects([
      obj({ file: "certs/a.pem", createdAt: "1", content: chain }),
      obj({ file: "certs/a.pem.key", createdAt: "1", kind: "secret" }),
      obj({ file: "maintenance/shop", createdAt: "1", content: maintenanceContent("") }),
    ]);
    const files = tlsFilesOf(current);
    expect(Object.keys(files).sort()).toEqual(["certs/a.pem", "maintenance/shop"]);
    expect(maintenanceOfFiles(files)).toEqual({ shop: "" });
    expect(certificateMounts(current).map((m) => [m.target, m.object.kind])).toEqual([
      ["/etc/haproxy/tls/certs/a.pem", "config"],
      ["/etc/haproxy/tls/certs/a.pem.key", "secret"],
    ]);
  });
});
