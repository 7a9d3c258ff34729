import { describe, expect, it } from "vitest";
import { emulationNote, normalArch, runSupport } from "../../provider/docker/engine-architecture";

// What Debian's qemu-user-static registers through binfmt-support (read on a bookworm machine).
const REGISTERED = [
  "enabled",
  "interpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P",
  "flags: PF",
  "offset 0",
  "magic 7f454c460201010000000000000000000200b700",
  "mask ffffffffffffff00fffffffffffffffffeffffff",
  "",
].join("\n");

describe("engine architecture", () => {
  it("names Docker's architectures one way (info says x86_64/aarch64, images amd64/arm64)", () => {
    expect([normalArch("x86_64"), normalArch("amd64"), normalArch("aarch64"), normalArch("arm64"), normalArch("s390x")]).toEqual([
      "amd64",
      "amd64",
      "arm64",
      "arm64",
      undefined,
    ]);
  });

  it("runs an ARM64 image natively on an ARM64 engine, without looking for an emulator", () => {
    expect(
      runSupport("aarch64", "arm64", () => {
        throw new Error("not asked");
      }),
    ).toEqual({ how: "native" });
  });

  it("runs it emulated on x86-64 when qemu-aarch64 is registered in fix-binary mode", () => {
    expect(runSupport("x86_64", "arm64", () => ({ status: "enabled\n", entry: REGISTERED }))).toEqual({ how: "emulated" });
  });

  it("says why not otherwise: no binfmt_misc, disabled, no emulator, or no F flag", () => {
    const why = (s: { status?: string; entry?: string }) => {
      const r = runSupport("x86_64", "arm64", () => s);
      return r.how === "none" ? r.why : r.how;
    };
    expect(why({})).toMatch(/binfmt_misc is not mounted at \/proc\/sys\/fs\/binfmt_misc/);
    expect(why({ status: "disabled\n" })).toMatch(/binfmt_misc is disabled/);
    expect(why({ status: "enabled\n" })).toMatch(
      /no qemu-aarch64 emulator is registered with binfmt_misc \(Debian's qemu-user-static registers one\)/,
    );
    expect(why({ status: "enabled\n", entry: REGISTERED.replace("enabled", "disabled") })).toMatch(/registered .* but disabled/);
    expect(why({ status: "enabled\n", entry: REGISTERED.replace("flags: PF", "flags: P") })).toMatch(
      /without binfmt_misc's fix-binary flag \(F\)/,
    );
  });

  it("notes emulation only where the image's architecture is not the engine's", () => {
    expect(emulationNote("x86_64", "arm64")).toBe("(arm64, emulated)");
    expect(emulationNote("x86_64", "amd64")).toBe("");
    expect(emulationNote("aarch64", "arm64")).toBe("");
    expect(emulationNote("aarch64", "amd64")).toBe("(amd64, emulated)");
    expect(emulationNote("x86_64", "")).toBe("");
  });
});

describe("the App's check on an engine that cannot run Fir", () => {
  it("names the app, the rule, why, and the fix", async () => {
    const { generationRefusal } = await import("../../provider/apps/app-provider");
    const why = runSupport("x86_64", "arm64", () => ({ status: "enabled\n" }));
    expect(generationRefusal("api", "fir", "x86_64", why)).toBe(
      'App "api": generation "fir" builds linux/arm64 images, but the Docker Engine is x86_64 and cannot run them: no qemu-aarch64 emulator is registered with binfmt_misc (Debian\'s qemu-user-static registers one). Fix: run scripts/setup.sh as root (it installs Debian\'s qemu-user-static and registers it with binfmt_misc in fix-binary mode), or use generation "cedar"',
    );
    expect(generationRefusal("api", "fir", "aarch64", { how: "native" })).toBeUndefined();
    expect(generationRefusal("api", "fir", "x86_64", { how: "emulated" })).toBeUndefined();
  });
});
