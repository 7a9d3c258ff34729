#!/usr/bin/env bash
# Makes this machine ready for Dynoform, idempotently: Docker Engine running, a local
# debian:bookworm-slim base image, the router image, Pebble, and the Pulumi CLI built from Go
# modules. A second run with everything present takes seconds. Prints `export …` lines for the
# environment (PATH with the Pulumi CLI, file backend, empty passphrase) when called with --env.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${DYNOFORM_CACHE:-$HOME/.cache/dynoform}"
mkdir -p "$cache"
log() { echo "setup: $*" >&2; }
started=$(date +%s)

# --- Node.js: @pulumi/pulumi needs Node 22+. An older system Node gets Node 24 LTS into the cache,
# first on PATH for the rest of set-up (npm ci, tsc) and, through env.sh, for `pulumi`, its
# language host and the dynamic providers.
node_env=$(bash "$repo/scripts/node.sh" --env)
eval "$node_env"

apt_updated=""
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  ((${#missing[@]})) || return 0
  [[ $(id -u) == 0 ]] || { log "need root to install ${missing[*]} (run: sudo apt-get install ${missing[*]})"; exit 1; }
  if [[ -z "$apt_updated" ]]; then apt-get update -qq >&2; apt_updated=1; fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
}

# --- Debian packages: the engine, debootstrap for the base image, Pebble for ACME tests, wrk for benchmarks,
# git for apps deployed from a git repository (`source: { git, ref }`)
apt_install docker.io debootstrap pebble iproute2 wrk curl git
# --- for the dashboard's tests: a real browser (driven by playwright-core, which downloads none) and
# a real Prometheus server that scrapes `dynoform dashboard` (each test starts its own on a free port);
# sqlite3 runs the dashboard's SQL on a store made by the store's own code
apt_install chromium prometheus sqlite3

# --- Docker Engine. Every app gets a network of its own: Docker's default pools hold only about 30
# networks, so an engine that Dynoform sets up gets room for thousands of /24s. And no userland
# proxy: Docker then hands a published port to the router by DNAT alone, so the router sees each
# client's own address (with the proxy, every client arrives from a Docker gateway, and a Space's
# trustedIpRanges cannot tell them apart). An existing daemon.json keeps its other keys.
restart_dockerd() {
  log "restarting dockerd once: $1"
  if command -v systemctl >/dev/null && systemctl is-active --quiet docker 2>/dev/null; then
    systemctl restart docker
  else
    kill -TERM $(pidof dockerd); for _ in $(seq 1 60); do pidof dockerd >/dev/null || break; sleep 1; done
  fi
}
daemon_json=/etc/docker/daemon.json
if [[ $(id -u) == 0 ]]; then
  command -v node >/dev/null || { log "need Node.js (node) on the PATH: Dynoform is a Node.js program"; exit 1; }
  engine_up=""; docker info >/dev/null 2>&1 && pidof dockerd >/dev/null && engine_up=1
  daemon_change=$(node "$repo/scripts/daemon-json.js" "$daemon_json")
  case "$daemon_change" in
    created) [[ -z "$engine_up" ]] || restart_dockerd "wrote $daemon_json (address pools for many app networks, userland-proxy off so the router sees client addresses)" ;;
    merged) [[ -z "$engine_up" ]] || restart_dockerd "added \"userland-proxy\": false to $daemon_json, so the router sees client addresses instead of a Docker gateway (a Space's trustedIpRanges depend on it)" ;;
    userland-proxy-on) log "warning: $daemon_json turns Docker's userland proxy on: the router sees connections from this machine's own gateways instead of the clients' addresses, so trustedIpRanges cannot tell clients apart. Fix: set \"userland-proxy\": false there and restart dockerd" ;;
  esac
elif ! grep -qs '"userland-proxy": *false' "$daemon_json"; then
  log "warning: $daemon_json does not set \"userland-proxy\": false (run this script as root once to set it)"
fi
if ! docker info >/dev/null 2>&1; then
  log "starting dockerd (log: $cache/dockerd.log)"
  # A session of its own: the engine must outlive the job that started it (a test run, CI's
  # process group), or every dyno and router goes down with that job.
  setsid nohup dockerd >"$cache/dockerd.log" 2>&1 < /dev/null &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { log "dockerd did not answer within 60 s; see $cache/dockerd.log"; tail -20 "$cache/dockerd.log" >&2; exit 1; }
fi

# --- base image: pull where a registry has it, else make it locally with debootstrap
base="debian:bookworm-slim"
if ! docker image inspect "$base" >/dev/null 2>&1; then
  if ! timeout 30 docker pull -q "$base" >/dev/null 2>&1; then
    log "making $base locally with debootstrap (about a minute, once)"
    root="$cache/bookworm-rootfs"
    rm -rf "$root"
    debootstrap --variant=minbase bookworm "$root" >"$cache/debootstrap.log" 2>&1 \
      || { log "debootstrap failed; see $cache/debootstrap.log"; tail -20 "$cache/debootstrap.log" >&2; exit 1; }
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import -c 'CMD ["bash"]' - "$base" >/dev/null
    rm -rf "$root"
  fi
fi

# --- Fir (generation "fir"): ARM64 dynos. An engine that is not ARM64 runs them as developers do,
# with Debian's QEMU user-mode emulator registered with binfmt_misc in fix-binary mode (flag F:
# the kernel opens the emulator at registration, so binaries inside containers, whose filesystems
# do not hold it, run too). Then Fir's stack image, arm64v8/debian:bookworm-slim: pulled where a
# registry has it, else made with debootstrap for arm64 (its second stage runs under the emulator).
setup_fir() {
  fir_stack="arm64v8/debian:bookworm-slim"
  engine_arch=$(docker info --format '{{.Architecture}}')
  fir_changed=""
  if [[ $engine_arch != aarch64 ]]; then
    apt_install qemu-user-static binfmt-support
    binfmt=/proc/sys/fs/binfmt_misc
    # Registered, enabled, and in fix-binary mode.
    fir_ready() { grep -qsx enabled "$binfmt/status" && grep -qsx enabled "$binfmt/qemu-aarch64" && grep -qs '^flags: .*F' "$binfmt/qemu-aarch64"; }
    if ! fir_ready; then
      [[ $(id -u) == 0 ]] || { log "need root to register qemu-aarch64 with binfmt_misc"; return 1; }
      [[ -f $binfmt/status ]] || mount -t binfmt_misc binfmt_misc "$binfmt" \
        || { log "cannot mount binfmt_misc at $binfmt (the kernel needs CONFIG_BINFMT_MISC; a container needs --privileged)"; return 1; }
      # Registered without F (by hand, or by an older package): replaced.
      [[ ! -f $binfmt/qemu-aarch64 ]] || echo -1 >"$binfmt/qemu-aarch64"
      grep -qsx enabled "$binfmt/status" || echo 1 >"$binfmt/status"
      update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
      if ! fir_ready; then
        [[ ! -f $binfmt/qemu-aarch64 ]] || echo -1 >"$binfmt/qemu-aarch64"
        printf '%s' ':qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F' >"$binfmt/register"
      fi
      fir_ready || { log "could not register qemu-aarch64 with binfmt_misc in fix-binary mode"; cat "$binfmt/qemu-aarch64" >&2 || true; return 1; }
      log "registered qemu-aarch64 with binfmt_misc (fix-binary mode): ARM64 containers run emulated"
      fir_changed=1
    fi
  fi
  if ! docker image inspect "$fir_stack" >/dev/null 2>&1; then
    if ! timeout 30 docker pull -q --platform linux/arm64 "$fir_stack" >/dev/null 2>&1; then
      log "making $fir_stack with debootstrap for arm64 (a few minutes under emulation, once)"
      fir_started=$(date +%s)
      root="$cache/bookworm-arm64-rootfs"
      rm -rf "$root"
      { debootstrap --arch arm64 --foreign --variant=minbase bookworm "$root" \
        && chroot "$root" /debootstrap/debootstrap --second-stage; } >"$cache/debootstrap-arm64.log" 2>&1 \
        || { log "debootstrap for arm64 failed; see $cache/debootstrap-arm64.log"; tail -20 "$cache/debootstrap-arm64.log" >&2; return 1; }
      rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
      # `docker import` labels an image with the engine's architecture whatever --platform says
      # (Docker 20.10), so the image is loaded as `docker save` writes one: one layer, a config
      # that says arm64, a manifest that tags it.
      image_dir="$cache/bookworm-arm64-image"
      rm -rf "$image_dir"; mkdir -p "$image_dir"
      tar -C "$root" --numeric-owner -c . >"$image_dir/layer.tar"
      printf '{"architecture":"arm64","os":"linux","config":{"Cmd":["bash"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
        "$(sha256sum "$image_dir/layer.tar" | cut -d' ' -f1)" >"$image_dir/config.json"
      printf '[{"Config":"config.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$fir_stack" >"$image_dir/manifest.json"
      tar -C "$image_dir" -c manifest.json config.json layer.tar | docker load -q >/dev/null
      rm -rf "$root" "$image_dir"
      log "made $fir_stack in $(( $(date +%s) - fir_started )) s"
    fi
    fir_changed=1
  fi
  if [[ -n $fir_changed ]]; then
    fir_arch=$(docker run --rm --platform linux/arm64 --network none "$fir_stack" uname -m 2>&1) || true
    [[ $fir_arch == aarch64 ]] || { log "an ARM64 container does not run on this engine (uname -m said: $fir_arch)"; return 1; }
  fi
}
# Fir is one generation among two: without it, everything else is still set up (Fir apps are then
# refused at preview, naming why), rather than no set-up at all.
setup_fir || log "Fir: not set up (see above); Fir apps will be refused on this engine, everything else works"

# --- the router image (HAProxy from Debian), rebuilt only when router/ changes
router_tag="dynoform/router:$(cat "$repo"/router/* | sha256sum | cut -c1-12)"
if ! docker image inspect "$router_tag" >/dev/null 2>&1; then
  log "building the router image $router_tag"
  docker build -q --label dynoform.component=router -t "$router_tag" "$repo/router" >/dev/null
fi

# --- the syslog receiver of the log drain tests (Debian's rsyslog), rebuilt only when its fixture changes
rsyslog_tag="dynoform-test/rsyslog:$(cat "$repo"/test/fixtures/rsyslog/* | sha256sum | cut -c1-12)"
if ! docker image inspect "$rsyslog_tag" >/dev/null 2>&1; then
  log "building the log drain tests' rsyslog image $rsyslog_tag"
  docker build -q --label dynoform.test=rsyslog -t "$rsyslog_tag" "$repo/test/fixtures/rsyslog" >/dev/null
fi
# --- the test cluster's images (test/cluster/): a Docker Engine node and a registry, on the base
# image, rebuilt only when scripts/cluster/ changes (about 40 s once)
for part in node registry; do
  tag="dynoform/cluster-$part:$(cat "$repo"/scripts/cluster/$part/* | sha256sum | cut -c1-12)"
  if ! docker image inspect "$tag" >/dev/null 2>&1; then
    log "building the cluster $part image $tag"
    docker build -q --label dynoform.component=cluster-$part -t "$tag" "$repo/scripts/cluster/$part" >/dev/null
  fi
  eval "cluster_${part}_tag=\$tag"
done

# --- node modules, the compiled SDK, and `dynoform` resolvable from the examples (a link to the
# repo itself, so examples and the SDK share one @pulumi/pulumi)
[[ -d "$repo/node_modules/@pulumi/pulumi" ]] || (cd "$repo" && npm ci --no-audit --no-fund >&2)
[[ -f "$repo/dist/sdk/index.js" ]] || (cd "$repo" && npx tsc -p tsconfig.json >&2)
[[ -L "$repo/node_modules/dynoform" ]] || ln -sfn .. "$repo/node_modules/dynoform"

# --- the Pulumi CLI, at the version of the installed @pulumi/pulumi
pulumi_version=$(node -p "require('$repo/node_modules/@pulumi/pulumi/package.json').version")
pulumi_bin=$(bash "$repo/scripts/build-pulumi.sh" "$pulumi_version")

# --- the @pulumi/tls resource plugin, at exactly the version its npm package asks for: the CLI's
# download where it works, else built from Go modules once (scripts/build-tls-plugin.sh)
tls_version=$(node -p "require('$repo/node_modules/@pulumi/tls/package.json').pulumi.version")
PATH="$pulumi_bin:$PATH" PULUMI_HOME="${PULUMI_HOME:-$cache/pulumi-home}" bash "$repo/scripts/build-tls-plugin.sh" "$tls_version"

cat >"$cache/env.sh" <<ENV
$node_env
export PATH="$pulumi_bin:\$PATH"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_CONFIG_PASSPHRASE="\${PULUMI_CONFIG_PASSPHRASE-}"
export PULUMI_HOME="\${PULUMI_HOME:-$cache/pulumi-home}"
export DYNOFORM_ROUTER_IMAGE="$router_tag"
export DYNOFORM_CLUSTER_NODE_IMAGE="$cluster_node_tag"
export DYNOFORM_CLUSTER_REGISTRY_IMAGE="$cluster_registry_tag"
ENV
log "ready in $(( $(date +%s) - started )) s (environment: $cache/env.sh)"
