import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, it } from "vitest";
import * as os from "node:os";
import { dockerfileFor, STACK_IMAGES } from "../sdk/buildpacks";
import { buildImage } from "../provider/docker/image-build";
import { docker } from "../test/support/docker";
import { get, getUntil } from "../test/support/http";
import { REPO, uniqueSuffix } from "../test/support/pulumi";

// What Fir costs on an x86-64 engine, where its dynos run under QEMU: the same work in the ARM64
// stack image (emulated) and in the x86-64 one (native, the anchor), same run, rounds alternated.
// Four measures: a container's start to exit (`true`), a CPU loop (perl, its own user CPU time),
// an HTTP request's round trip to a perl server in the container (the Fir fixture's web.pl), and
// a static app's language build (apt-get installs busybox: Debian's mirror, then dpkg), once each.
const ROUNDS = 3;
const REQUESTS = 200;
const suffix = uniqueSuffix();
const WEB = fs.readFileSync(path.join(REPO, "test/e2e/fixtures/fir/app/web.pl"), "utf8");
const LOOP = "my $s = 0; $s += $_ * 2 for 1 .. 3_000_000; my @t = times; print $t[0]";
const made: string[] = [];
const images: string[] = [];

afterAll(async () => {
  for (const name of made)
    await docker
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
  for (const tag of images)
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
});

/** Seconds to build a static app (index.html) of this generation with its generated Dockerfile. */
async function staticBuild(generation: "cedar" | "fir"): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dynoform-bench-fir-"));
  fs.writeFileSync(path.join(dir, "index.html"), "hi\n");
  const tag = `dynoform/bench-fir-${suffix}:${generation}`;
  images.push(tag);
  const started = performance.now();
  await buildImage(
    dir,
    tag,
    { "dynoform.managed": "true" },
    // A first step of its own: no layer of an earlier build is reused.
    {
      dockerfile: dockerfileFor("static", dir, generation).replace("RUN ", `RUN echo ${tag} && `),
      platform: generation === "fir" ? "linux/arm64" : "linux/amd64",
    },
  );
  fs.rmSync(dir, { recursive: true, force: true });
  return (performance.now() - started) / 1000;
}

async function runToEnd(image: string, cmd: string[]): Promise<{ ms: number; out: string }> {
  const name = `bench-fir-${suffix}-${made.length}`;
  made.push(name);
  const started = performance.now();
  // A TTY: the log is the output as written, without the multiplexing headers.
  const c = await docker.createContainer({ name, Image: image, Cmd: cmd, Tty: true, HostConfig: { NetworkMode: "none" } });
  await c.start();
  await c.wait();
  const ms = performance.now() - started;
  // A string with a TTY (dockerode), a Buffer otherwise: String() reads both.
  const out = String(await c.logs({ stdout: true, stderr: true }));
  await c.remove({ force: true });
  return { ms, out };
}

/** Median round trip of sequential requests (one connection each) to a web.pl in `image`. */
async function roundTrip(image: string, port: number): Promise<number> {
  const name = `bench-fir-${suffix}-web-${port}`;
  made.push(name);
  const c = await docker.createContainer({
    name,
    Image: image,
    Cmd: ["perl", "-e", WEB],
    Env: [`PORT=5000`, "DYNO=web.1"],
    ExposedPorts: { "5000/tcp": {} },
    HostConfig: { PortBindings: { "5000/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }] } },
  });
  await c.start();
  const url = `http://127.0.0.1:${port}/`;
  await getUntil(url, (r) => r.status === 200, 60_000);
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const r = await get(url);
    if (r.status !== 200) throw new Error(`${image}: ${r.status}`);
    times.push(performance.now() - t);
  }
  await c.remove({ force: true });
  return median(times);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number, d = 1) => n.toFixed(d);

it("Fir under emulation vs native x86-64", async () => {
  const native = STACK_IMAGES.cedar;
  const emulated = STACK_IMAGES.fir;
  const r = {
    start: { n: [] as number[], e: [] as number[] },
    cpu: { n: [] as number[], e: [] as number[] },
    rtt: { n: [] as number[], e: [] as number[] },
  };
  const machine = (await runToEnd(emulated, ["uname", "-m"])).out.trim();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [key, image] of [
      ["n", native],
      ["e", emulated],
    ] as const) {
      r.start[key].push((await runToEnd(image, ["true"])).ms);
      r.cpu[key].push(Number((await runToEnd(image, ["perl", "-e", LOOP])).out.trim()) * 1000);
      r.rtt[key].push(await roundTrip(image, 8390 + round * 2 + (key === "e" ? 1 : 0)));
    }
  }
  const build = { n: [await staticBuild("cedar")], e: [await staticBuild("fir")] };
  const line = (what: string, m: { n: number[]; e: number[] }, unit: string) =>
    `${what}: emulated ${fmt(median(m.e))} ${unit} vs native ${fmt(median(m.n))} ${unit} = ${fmt(median(m.e) / median(m.n), 2)}×`;
  console.log(
    [
      "",
      `bench/fir (${emulated}, uname -m: ${machine}; anchor ${native}; medians of ${ROUNDS} rounds)`,
      line("container start to exit (true)", r.start, "ms"),
      line("CPU loop (perl, 3M additions, user CPU)", r.cpu, "ms"),
      line(`HTTP round trip (median of ${REQUESTS} sequential requests, new connection each)`, r.rtt, "ms"),
      line("static app's language build (apt-get install busybox), once", build, "s"),
      "",
    ].join("\n"),
  );
});
