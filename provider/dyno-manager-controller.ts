import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { docker, isConflictOrNoop, isNotFound } from "./docker-client";
import { buildImage, imageExists } from "./image-build";
import { LABEL, labelFilter } from "./labels";

/** One dyno manager per engine, whatever the stack or router. */
export const DYNO_MANAGER = "dynoform-dyno-manager";
/** The compiled modules the manager runs; nothing else goes into its image. */
export const DYNO_MANAGER_FILES = ["dyno-manager.js", "crash-backoff.js", "docker-socket.js", "idle-controller.js", "router-names.js"];

const DOCKERFILE = `# The Dynoform dyno manager: restarts crashed dynos as fresh containers.
FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs && rm -rf /var/lib/apt/lists/*
COPY *.js /opt/dynoform/
CMD ["node", "/opt/dynoform/dyno-manager.js"]
`;

/** Where the compiled provider lives: this folder in `dist/`, or `dist/provider` beside the sources in tests. */
function compiledDir(): string {
  const here = __dirname;
  if (fs.existsSync(path.join(here, DYNO_MANAGER_FILES[0]))) return here;
  return path.resolve(here, "..", "dist", "provider");
}

function imageTag(): string {
  const h = crypto.createHash("sha256").update(DOCKERFILE);
  for (const f of DYNO_MANAGER_FILES) h.update(fs.readFileSync(path.join(compiledDir(), f)));
  return `dynoform/dyno-manager:${h.digest("hex").slice(0, 12)}`;
}

async function buildManagerImage(tag: string): Promise<void> {
  const context = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-manager-"));
  try {
    fs.writeFileSync(path.join(context, "Dockerfile"), DOCKERFILE);
    for (const f of DYNO_MANAGER_FILES) fs.copyFileSync(path.join(compiledDir(), f), path.join(context, f));
    await buildImage(context, tag, { [LABEL.managed]: "true", "dynoform.component": "dyno-manager" });
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
}

/** Starts the dyno manager unless it runs already (with the current code). */
export async function ensureDynoManager(): Promise<void> {
  const tag = imageTag();
  const container = docker().getContainer(DYNO_MANAGER);
  try {
    const info = await container.inspect();
    if (info.Config.Image === tag) {
      if (!info.State.Running) await container.start();
      return;
    }
    await container.remove({ force: true }); // older code: replace it
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (!(await imageExists(tag))) await buildManagerImage(tag);
  try {
    await docker().createContainer({
      name: DYNO_MANAGER,
      Image: tag,
      Labels: { [LABEL.managed]: "true", [LABEL.role]: "dyno-manager" },
      Env: [`DYNOFORM_CRASH_BACKOFF_SCALE=${process.env.DYNOFORM_CRASH_BACKOFF_SCALE ?? "1"}`],
      HostConfig: {
        Binds: ["/var/run/docker.sock:/var/run/docker.sock"],
        // No network: nothing, dynos included, can talk to the manager.
        NetworkMode: "none",
        RestartPolicy: { Name: "always" },
      },
    });
  } catch (e) {
    if (!isConflictOrNoop(e)) throw e;
  }
  await container.start().catch((e) => {
    if (!isConflictOrNoop(e)) throw e;
  });
}

/** Removes the manager once no dyno is left on the engine, so destroy leaves nothing behind. */
export async function removeDynoManagerIfIdle(): Promise<void> {
  const dynos = await docker().listContainers({ all: true, filters: labelFilter({ [LABEL.role]: "dyno" }) });
  if (dynos.length > 0) return;
  await docker().getContainer(DYNO_MANAGER).remove({ force: true }).catch((e) => {
    if (!isNotFound(e)) throw e;
  });
}
