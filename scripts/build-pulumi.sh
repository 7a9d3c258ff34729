#!/usr/bin/env bash
# Builds the Pulumi CLI and its Node.js language host from Go modules into a cache outside the
# repo, because no registry reachable here ships the CLI binary. Idempotent: a second run with the
# binaries present returns at once.
#
# Usage: scripts/build-pulumi.sh <pulumi-version>   (prints the bin directory)
set -euo pipefail

version="${1:?usage: build-pulumi.sh <version, e.g. 3.259.0>}"
cache="${DYNOFORM_CACHE:-$HOME/.cache/dynoform}"
bin="$cache/pulumi-v$version/bin"
# The Node.js language host became a separate, untagged Go module after sdk v3.68.0, and the
# module proxy reachable here does not serve that module. v3.68.0 is the newest release where the
# host is still part of the tagged sdk module; its gRPC protocol is what current CLIs speak.
lang_host_sdk="3.68.0"

if [[ -x "$bin/pulumi" && -x "$bin/pulumi-language-nodejs" && -x "$bin/pulumi-resource-pulumi-nodejs" ]]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "build-pulumi: Go is needed to build the Pulumi CLI; install Go 1.25+" >&2; exit 1; }

mkdir -p "$bin"
# Two callers at once (a test run and the demo) must not build into the same folder together.
exec 9>"$cache/pulumi-build-$version.lock"
flock 9
if [[ -x "$bin/pulumi" && -x "$bin/pulumi-language-nodejs" && -x "$bin/pulumi-resource-pulumi-nodejs" ]]; then
  echo "$bin"
  exit 0
fi
work="$cache/pulumi-build-$version"
mkdir -p "$work/cli" "$work/nodejs"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

if [[ ! -x "$bin/pulumi" ]]; then
  echo "build-pulumi: building the Pulumi CLI v$version from Go modules (several minutes, once)" >&2
  cd "$work/cli"
  # pkg/v3's go.mod replaces sdk/v3 with a local path (ignored here: we pin the tag instead) and
  # atotto/clipboard with a fork, which we must repeat because replaces only apply in the main module.
  cat > go.mod <<GOMOD
module dynoform.local/pulumi-cli

go 1.25

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
GOMOD
  go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$version" "github.com/pulumi/pulumi/sdk/v3@v$version" >&2
  go build -o "$bin/pulumi.tmp" \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
  mv "$bin/pulumi.tmp" "$bin/pulumi"
fi

if [[ ! -x "$bin/pulumi-language-nodejs" ]]; then
  echo "build-pulumi: building the Node.js language host (sdk v$lang_host_sdk)" >&2
  cd "$work/nodejs"
  cat > go.mod <<GOMOD
module dynoform.local/pulumi-language-nodejs

go 1.25

replace golang.org/x/text => golang.org/x/text v0.3.6
GOMOD
  go get "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs@v$lang_host_sdk" >&2
  go build -o "$bin/pulumi-language-nodejs.tmp" \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$lang_host_sdk" \
    github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs >&2
  mv "$bin/pulumi-language-nodejs.tmp" "$bin/pulumi-language-nodejs"
fi

# Dynamic providers run in a plugin the CLI looks up on PATH; the npm package ships its script.
cat > "$bin/pulumi-resource-pulumi-nodejs" <<'SHIM'
#!/bin/sh
exec node "$(node -e "process.stdout.write(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))")" "$@"
SHIM
chmod +x "$bin/pulumi-resource-pulumi-nodejs"
echo "$bin"
