import { describe, expect, it } from "vitest";
import { ACME_RESPONDER_PORT, renderAcmeResponderConfig } from "../../provider/engine/acme-responder-config";

describe("the cluster's ACME responder config", () => {
  const ch = { hostname: "www.example.com", token: "t".repeat(43), keyAuthorization: `${"t".repeat(43)}.${"k".repeat(43)}` };

  it("answers each pending challenge for its hostname only, and 404 for anything else", () => {
    const cfg = renderAcmeResponderConfig([ch]);
    expect(cfg).toContain(`bind :${ACME_RESPONDER_PORT}`);
    expect(cfg).toMatch(
      new RegExp(
        `return status 200 .*string ${ch.keyAuthorization} .*path /.well-known/acme-challenge/${ch.token} .*-m str www.example.com`,
      ),
    );
    expect(cfg.indexOf("status 200")).toBeLessThan(cfg.indexOf("status 404"));
  });

  it("never renders a token that could break out of the config line", () => {
    expect(renderAcmeResponderConfig([{ ...ch, token: "bad token }" }])).not.toContain("bad token");
  });
});
