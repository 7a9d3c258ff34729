/** Swarm configs named by their content: a config cannot change, so new content is a new config. */
import * as crypto from "node:crypto";
import type Docker from "dockerode";
import { LABEL } from "../docker/labels";

const hash = (s: string) => crypto.createHash("sha256").update(s).digest("hex").slice(0, 12);

/** A Swarm config with this content, named by its hash (configs cannot change). */
export async function ensureConfig(
  d: Docker,
  router: string,
  part: string,
  content: string,
): Promise<{ ConfigID: string; ConfigName: string }> {
  const name = `${router}-${part}-${hash(content)}`;
  const found = (await d.listConfigs({ filters: { name: [name] } })).find((c) => c.Spec?.Name === name);
  if (found) return { ConfigID: found.ID, ConfigName: name };
  // Two resources syncing the same router at once (two Domains deleted in parallel) make the same config: take theirs.
  const made = (await d
    .createConfig({
      Name: name,
      Labels: { [LABEL.managed]: "true", [LABEL.role]: "router", [LABEL.router]: router },
      Data: Buffer.from(content).toString("base64"),
    })
    .catch(async (e: { statusCode?: number }) => {
      const theirs = e?.statusCode === 409 && (await d.listConfigs({ filters: { name: [name] } })).find((c) => c.Spec?.Name === name);
      if (!theirs) throw e;
      return { ID: theirs.ID };
    })) as unknown as { id?: string; ID?: string };
  return { ConfigID: made.id ?? made.ID ?? "", ConfigName: name };
}
