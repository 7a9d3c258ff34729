import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRun } from "../../cli/run";
import { runReleasePhase } from "../../provider/apps/release-phase";
import { execIn } from "../../provider/docker/docker-exec";
import { buildImage } from "../../provider/docker/image-build";
import { LABEL } from "../../provider/docker/labels";
import { startDyno, type DynoSpec } from "../../provider/formations/dyno-driver";
import { ensureNetwork } from "../../provider/router/router-controller";
import { ADMIN_SOCKET } from "../../provider/router/router-names";
import { docker, removeTestApps, testDyno } from "../support/docker";
import { REPO, uniqueSuffix } from "../support/pulumi";

// Every check is an attempt made from inside a real dyno (examples/hello/app: a plain Dockerfile
// FROM debian, no USER), with the exact command and the failure it must meet.
describe("dyno hardening", () => {
  const suffix = uniqueSuffix();
  const [a, b, u] = [`hard-a-${suffix}`, `hard-b-${suffix}`, `hard-u-${suffix}`];
  const images: string[] = [];
  const dirs: string[] = [];
  const spec = (app: string, image: string, extra: Partial<DynoSpec> = {}): DynoSpec =>
    testDyno(app, 1, image, { limits: { memoryBytes: 256 * 1024 * 1024, cpuShares: 1024, pidsLimit: 256 }, ...extra });
  /** Runs `sh -c script` in app a's dyno, as the dyno runs (docker exec takes the container's user, capabilities and profiles). */
  const inDyno = async (script: string, app = a) => (await execIn(docker.getContainer(`${app}.web.1`), ["sh", "-c", script])).output.trim();
  const perl = (code: string) => inDyno(`perl -e '${code}' 2>&1`);
  let otherPid = 0;

  beforeAll(async () => {
    const hello = (
      await buildImage(path.join(REPO, "examples/hello/app"), `dynoform/hard-${suffix}:test`, { [LABEL.managed]: "true", [LABEL.app]: a })
    ).tag;
    const ownUser = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-hard-"));
    dirs.push(ownUser);
    fs.writeFileSync(path.join(ownUser, "Dockerfile"), `FROM ${hello}\nUSER nobody\n`);
    const nobody = (await buildImage(ownUser, `dynoform/hard-u-${suffix}:test`, { [LABEL.managed]: "true", [LABEL.app]: u })).tag;
    images.push(nobody, hello);
    for (const [app, image] of [
      [a, hello],
      [b, hello],
      [u, nobody],
    ]) {
      await ensureNetwork(`dynoform-app-${app}`, { [LABEL.managed]: "true", [LABEL.app]: app });
      await startDyno(spec(app, image));
    }
    otherPid = (await docker.getContainer(`${b}.web.1`).inspect()).State.Pid;
  }, 120_000);

  afterAll(async () => {
    await removeTestApps([a, b, u], images);
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("runs an image without USER as 10000:10000, with no capabilities, no-new-privileges, seccomp and the size's pids limit", async () => {
    // PID 1 is docker-init; the web process is its child: check both, and an exec'd shell.
    const status = await inDyno(
      "for p in 1 $(cat /proc/1/task/1/children) self; do grep -E '^(Uid|Gid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/$p/status | tr -s '\\t ' ' ' | sort | tr '\\n' ';'; echo; done",
    );
    const lines = status.split("\n");
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).toBe(
        "CapAmb: 0000000000000000;CapBnd: 0000000000000000;CapEff: 0000000000000000;CapInh: 0000000000000000;CapPrm: 0000000000000000;Gid: 10000 10000 10000 10000;NoNewPrivs: 1;Seccomp: 2;Uid: 10000 10000 10000 10000;",
      );
    }
    expect(await inDyno("cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max")).toBe("256");
    // Files the app needs (copied in as root) stay readable, and it still serves.
    expect(await inDyno("head -1 /app/server.pl")).toBe("#!/usr/bin/perl");
    expect(
      await perl(
        'use IO::Socket::INET; my $s = IO::Socket::INET->new("127.0.0.1:5000") or die $!; print $s "GET / HTTP/1.0\\r\\n\\r\\n"; print scalar <$s>',
      ),
    ).toMatch(/^HTTP\/1\.1 200/);
  });

  it("keeps a Dockerfile's own USER", async () => {
    expect(await inDyno("id -un", u)).toBe("nobody");
  });

  it("cannot mount", async () => {
    expect(await inDyno("mount -t tmpfs none /mnt 2>&1; echo exit=$?")).toMatch(/must be superuser to use mount[\s\S]*exit=32$/);
    // The syscall itself (mount(2) is 165 on x86-64): EPERM, not just the mount binary's own check.
    expect(
      await perl(
        'my ($src, $dir, $fs) = ("none", "/tmp", "tmpfs"); syscall(165, $src, $dir, $fs, 0, 0) == -1 ? print "mount(2): $!" : print "mounted"',
      ),
    ).toBe("mount(2): Operation not permitted");
  });

  it("cannot load kernel modules", async () => {
    // init_module(2) is 175 and finit_module(2) 313 on x86-64; an empty image is enough to be refused for lack of CAP_SYS_MODULE.
    expect(
      await perl('my ($image, $args) = ("\\0" x 64, ""); syscall(175, $image, 64, $args) == -1 ? print "init_module: $!" : print "loaded"'),
    ).toBe("init_module: Operation not permitted");
    expect(
      await perl(
        'open(my $f, "<", "/app/server.pl"); my $args = ""; syscall(313, fileno($f), $args, 0) == -1 ? print "finit_module: $!" : print "loaded"',
      ),
    ).toBe("finit_module: Operation not permitted");
  });

  it("cannot open raw sockets", async () => {
    expect(await perl('use Socket; socket(my $s, PF_INET, SOCK_RAW, 1) ? print "raw socket" : print "SOCK_RAW: $!"')).toBe(
      "SOCK_RAW: Operation not permitted",
    );
    expect(await perl('use Socket; socket(my $s, 17, SOCK_RAW, 0) ? print "packet socket" : print "AF_PACKET: $!"')).toBe(
      "AF_PACKET: Operation not permitted",
    );
  });

  it("cannot see or signal another dyno's processes", async () => {
    // Its own PID namespace: docker-init, the web process, and this shell with its pipeline.
    const pids = (await inDyno("ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' '")).trim().split(" ").map(Number);
    expect(pids).not.toContain(otherPid);
    expect(pids.length).toBeLessThan(8);
    expect(await inDyno(`kill -TERM ${otherPid} 2>&1; echo exit=$?`)).toMatch(/No such process[\s\S]*exit=1$/);
    expect((await docker.getContainer(`${b}.web.1`).inspect()).State.Running).toBe(true);
  });

  it("cannot read another dyno's files", async () => {
    expect(await inDyno(`cat /proc/${otherPid}/root/app/server.pl 2>&1; echo exit=$?`)).toMatch(/No such file or directory[\s\S]*exit=1$/);
    expect(await inDyno("ls /var/lib/docker 2>&1; echo exit=$?")).toMatch(/No such file or directory[\s\S]*exit=2$/);
  });

  it("cannot reach the Docker socket or the router's admin socket", async () => {
    for (const socket of ["/var/run/docker.sock", "/run/docker.sock", ADMIN_SOCKET]) {
      expect(await perl(`use IO::Socket::UNIX; IO::Socket::UNIX->new(Peer => "${socket}") ? print "connected" : print "$!"`), socket).toBe(
        "No such file or directory",
      );
    }
    // Nor the engine's TCP API on the network's gateway (this host).
    const gateway = (await docker.getNetwork(`dynoform-app-${a}`).inspect()).IPAM?.Config?.[0]?.Gateway;
    expect(
      await perl(
        `use IO::Socket::INET; IO::Socket::INET->new(PeerAddr => "${gateway}:2375", Timeout => 3) ? print "connected" : print "refused"`,
      ),
    ).toBe("refused");
  });

  it("cannot become root", async () => {
    expect(await perl('$< = 0; $> = 0; print "uid=$< euid=$> ($!)"')).toBe("uid=10000 euid=10000 (Operation not permitted)");
    expect(await perl('use POSIX; POSIX::setuid(0) ? print "root" : print "setuid(0): $!"')).toBe("setuid(0): Operation not permitted");
    // su is setuid root in the image, but no-new-privileges keeps the exec at uid 10000.
    expect(await inDyno("ls -l /bin/su | cut -c1-10")).toBe("-rwsr-xr-x");
    expect(await inDyno("echo | su -c id root 2>&1; echo exit=$?")).toMatch(/su: Authentication failure[\s\S]*exit=1$/);
  });

  it("gives the release phase and one-off dynos the same", async () => {
    const check =
      'test "$(id -u):$(id -g)" = 10000:10000 && grep -q "^CapEff:.0000000000000000$" /proc/self/status && grep -q "^NoNewPrivs:.1$" /proc/self/status';
    const image = images[1];
    await expect(
      runReleasePhase({ app: a, release: "v1", image, command: check, env: {}, network: `dynoform-app-${a}` }),
    ).resolves.toBeUndefined();
    let out = "";
    const code = await runRun(
      ["--app", a, "sh", "-c", `${check} && echo hardened`],
      { stdout: (t) => (out += t), stderr: (t) => (out += t) },
      docker,
      { interactive: false },
    );
    expect(out.trim()).toBe("hardened");
    expect(code).toBe(0);
  });
});
