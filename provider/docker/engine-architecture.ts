import * as fs from "node:fs";

/**
 * Whether the Docker Engine runs images of another architecture, and how: natively, or through
 * a QEMU user-mode emulator that the kernel's binfmt_misc hands foreign binaries to. Fix-binary
 * mode (flag `F`) makes the kernel open the emulator once, at registration, so it runs binaries
 * inside containers too, whose filesystems do not hold it (Debian's `qemu-user-static` registers
 * it so with `binfmt-support`; `scripts/setup.sh` checks and does it).
 */
export type Arch = "amd64" | "arm64";

/** Docker's names (`docker info`: x86_64, aarch64; images: amd64, arm64) as one name each. */
export function normalArch(name: string): Arch | undefined {
  if (name === "x86_64" || name === "amd64") return "amd64";
  if (name === "aarch64" || name === "arm64") return "arm64";
  return undefined;
}

/** The kernel's name of an architecture: the emulator `qemu-<name>` and `uname -m` say it. */
export const KERNEL_ARCH: Record<Arch, string> = { amd64: "x86_64", arm64: "aarch64" };

export const BINFMT_DIR = "/proc/sys/fs/binfmt_misc";

/** What binfmt_misc holds for one emulator: its `status` file and its entry (undefined: absent). */
export interface BinfmtState {
  status?: string;
  entry?: string;
}

/** How the engine runs an image: natively, emulated, or not at all (why, for a message). */
export type RunSupport = { how: "native" } | { how: "emulated" } | { how: "none"; why: string };

/**
 * Whether an engine of `engineArch` runs `imageArch` images. `binfmt` is read only when the two
 * differ: that is the case the kernel's emulator must cover.
 */
export function runSupport(engineArch: string, imageArch: Arch, binfmt: () => BinfmtState): RunSupport {
  if (normalArch(engineArch) === imageArch) return { how: "native" };
  const name = `qemu-${KERNEL_ARCH[imageArch]}`;
  const { status, entry } = binfmt();
  if (status === undefined) return { how: "none", why: `binfmt_misc is not mounted at ${BINFMT_DIR}, so no emulator is registered` };
  if (status.trim() !== "enabled") return { how: "none", why: `binfmt_misc is disabled (${BINFMT_DIR}/status)` };
  if (entry === undefined)
    return { how: "none", why: `no ${name} emulator is registered with binfmt_misc (Debian's qemu-user-static registers one)` };
  if (!/^enabled$/m.test(entry)) return { how: "none", why: `the ${name} emulator is registered with binfmt_misc but disabled` };
  const flags = /^flags: *(\S*)/m.exec(entry)?.[1] ?? "";
  if (!flags.includes("F"))
    return {
      how: "none",
      why: `the ${name} emulator is registered without binfmt_misc's fix-binary flag (F): containers, which do not hold the emulator, cannot start`,
    };
  return { how: "emulated" };
}

/** This machine's binfmt_misc state for one emulator (the engine's, when the engine is local). */
export function readBinfmt(imageArch: Arch): BinfmtState {
  const read = (f: string) => {
    try {
      return fs.readFileSync(`${BINFMT_DIR}/${f}`, "utf8");
    } catch {
      return undefined;
    }
  };
  return { status: read("status"), entry: read(`qemu-${KERNEL_ARCH[imageArch]}`) };
}

/** `(arm64, emulated)` for a dyno whose image the engine runs through an emulator; empty otherwise. */
export function emulationNote(engineArch: string, imageArch: string): string {
  const image = normalArch(imageArch);
  const engine = normalArch(engineArch);
  return image && engine && image !== engine ? `(${image}, emulated)` : "";
}
