#!/usr/bin/env bash
# Installs the resource plugin that @pulumi/tls needs (pulumi-resource-tls) into PULUMI_HOME.
#
# The npm package ships no binary: the Pulumi CLI downloads it at `preview`/`up`. Where that
# download works, we use it. Where it does not (no internet), we build the plugin from Go modules
# the module proxy serves: the upstream Terraform TLS provider, bridged by
# pulumi-terraform-bridge (Go sources in scripts/tls-plugin/), into a cache outside the repo, once.
# Idempotent: with the plugin installed it returns at once.
#
# Usage: scripts/build-tls-plugin.sh <version>   (the "pulumi.version" of node_modules/@pulumi/tls;
#        the CLI looks the plugin up by exactly that version)
set -euo pipefail

version="${1:?usage: build-tls-plugin.sh <version, e.g. 5.6.1>}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${DYNOFORM_CACHE:-$HOME/.cache/dynoform}"
export PULUMI_HOME="${PULUMI_HOME:-$cache/pulumi-home}"
installed="$PULUMI_HOME/plugins/resource-tls-v$version/pulumi-resource-tls"
log() { echo "build-tls-plugin: $*" >&2; }

[[ -x "$installed" ]] && exit 0
command -v pulumi >/dev/null || { log "the Pulumi CLI is not on PATH (run scripts/setup.sh, then source ~/.cache/dynoform/env.sh)"; exit 1; }

# 1. The CLI's own download (fails fast without internet).
if timeout 60 pulumi plugin install resource tls "$version" >/dev/null 2>&1 && [[ -x "$installed" ]]; then
  log "installed pulumi-resource-tls v$version by download"
  exit 0
fi

# 2. Build it. Pins: the newest bridge the module proxy serves, the SDK fork the bridge replaces
# terraform-plugin-sdk with, and the upstream provider (4.2.1) that @pulumi/tls 5.6.x bridges.
bridge="github.com/pulumi/pulumi-terraform-bridge/v3@v3.120.0"
sdk_fork="github.com/pulumi/terraform-plugin-sdk/v2 v2.0.0-20250923233607-7f1981c8674a"
upstream="github.com/hashicorp/terraform-provider-tls@v1.2.1-0.20260130152455-857b38cda3fc"
framework="github.com/hashicorp/terraform-plugin-framework@v1.17.0"

bin="$cache/pulumi-resource-tls-v$version/pulumi-resource-tls"
mkdir -p "$(dirname "$bin")"
# A test run and the demo at once must not build into the same folder together.
exec 9>"$cache/tls-plugin-build.lock"
flock 9
if [[ ! -x "$bin" ]]; then
  command -v go >/dev/null || { log "Go is needed to build pulumi-resource-tls offline; install Go 1.25+"; exit 1; }
  log "no download of pulumi-resource-tls v$version here; building it from Go modules (about 3 minutes and 1.5 GB of module cache, once)"
  work="$cache/tls-plugin-build"
  rm -rf "$work/provider" "$work/cmd" "$work/shim"
  mkdir -p "$work"
  cp -r "$here/tls-plugin/." "$work/"
  cd "$work"
  # The shim's module path lies under the upstream module's, so Go lets it import internal/provider.
  cat > shim/go.mod <<GOMOD
module github.com/hashicorp/terraform-provider-tls/shim

go 1.25
GOMOD
  cat > go.mod <<GOMOD
module dynoform.local/pulumi-resource-tls

go 1.25

require github.com/hashicorp/terraform-provider-tls/shim v0.0.0

replace github.com/hashicorp/terraform-provider-tls/shim => ./shim

replace github.com/hashicorp/terraform-plugin-sdk/v2 => $sdk_fork
GOMOD
  export GOFLAGS=-mod=mod GOTOOLCHAIN=local
  (cd shim && nice go get "$upstream" "$framework" >&2)
  nice go get "$bridge" "$upstream" "$framework" >&2
  ldflags="-X dynoform.local/pulumi-resource-tls/provider.Version=$version"
  # tfgen embeds what it writes: start from empty files, generate, then build the plugin on them.
  echo '{}' > provider/bridge-metadata.json
  echo '{}' > provider/schema.json
  nice go build -ldflags "$ldflags" -o tfgen ./cmd/tfgen >&2
  ./tfgen schema --out provider --skip-docs --skip-examples >&2
  nice go build -ldflags "-s -w $ldflags" -o "$bin.tmp" ./cmd/plugin >&2
  mv "$bin.tmp" "$bin"
fi
pulumi plugin install resource tls "$version" --file "$bin" >&2
log "installed pulumi-resource-tls v$version, built from Go modules ($bin)"
