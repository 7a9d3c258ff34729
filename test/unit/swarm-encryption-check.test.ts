import { describe, expect, it } from "vitest";
import { encryptionProblem, nodeAnswers, PROBE_SCRIPT } from "../../provider/engine/swarm-encryption-check";

describe("whether a Swarm can host a Shield space", () => {
  it("says yes only when every node added the IPsec state Swarm's encrypted overlays need", () => {
    expect(
      encryptionProblem("pay", [
        { node: "n1", ok: true, detail: "" },
        { node: "n2", ok: true, detail: "" },
      ]),
    ).toBeUndefined();
    expect(PROBE_SCRIPT).toContain("proto esp");
    expect(PROBE_SCRIPT).toContain("aead 'rfc4106(gcm(aes))'");
  });

  it("refuses, naming each node that cannot and the kernel's words, the rule and the fix", () => {
    const problem = encryptionProblem("pay", [
      { node: "n1", ok: true, detail: "" },
      { node: "n2", ok: false, detail: "Error: Requested AEAD algorithm not found." },
    ]);
    expect(problem).toMatch(
      /^Space "pay": a Shield space needs encrypted overlay networks, and this Swarm cannot encrypt them: n2 \(Error: Requested AEAD algorithm not found\.\)\. .*never makes a Shield space unencrypted \(rule shield-encrypted-overlay\)\. Fix: .*CONFIG_INET_ESP.*shield: false/,
    );
    expect(problem).not.toContain("n1");
  });

  it("refuses when no node answered: never a Shield space on a guess", () => {
    expect(encryptionProblem("pay", [])).toContain("no node answered");
  });

  it("reads each node's answer from the job's output, whatever order the nodes wrote in", () => {
    const answers = nodeAnswers("n2: refused: Error: Requested AEAD algorithm not found.\nn1: ok\nsomething else\n");
    expect([...answers.values()]).toEqual([
      { node: "n2", ok: false, detail: "Error: Requested AEAD algorithm not found." },
      { node: "n1", ok: true, detail: "" },
    ]);
  });
});
