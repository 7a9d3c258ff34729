/** The router's image: built from `router/` and tagged by its content. */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildImage, imageExists } from "../docker/image-build";
import { LABEL } from "../docker/labels";

/** The router image's tag: a hash of `router/`, so a changed Dockerfile or base config rebuilds it. */
export function routerImageTag(): string {
  const dir = routerDir();
  const h = crypto.createHash("sha256");
  for (const f of fs.readdirSync(dir).sort()) h.update(fs.readFileSync(path.join(dir, f)));
  return `dynoform/router:${h.digest("hex").slice(0, 12)}`;
}

/** `router/` ships beside `dist/`; this module runs from `dist/provider/router/` or, in tests, `provider/router/`. */
export function routerDir(): string {
  const candidates = [path.resolve(__dirname, "..", "..", "router"), path.resolve(__dirname, "..", "..", "..", "router")];
  const found = candidates.find((d) => fs.existsSync(path.join(d, "Dockerfile")));
  if (!found) throw new Error(`the router image's folder is missing (looked in ${candidates.join(", ")}); reinstall dynoform`);
  return found;
}

/** Builds the router image unless the engine has it. */
export async function ensureRouterImage(image = routerImageTag()): Promise<string> {
  if (!(await imageExists(image))) {
    await buildImage(routerDir(), image, { [LABEL.managed]: "true", [LABEL.component]: "router" });
  }
  return image;
}
