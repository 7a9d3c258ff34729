#!/usr/bin/env bash
# Builds Traefik v3 (Coolify's default proxy) from Go modules into the cache, once, for the router
# benchmark's peer comparison (bench/router.measure.ts). Prints the binary's path.
#
# A plain `go build` of cmd/traefik fails against the module proxy for three reasons; a wrapper
# module generated here works around each, none on the proxy's request path:
#  1. Traefik's go.mod replaces github.com/traefik/traefik/dynamic/ext with a nested folder the
#     module zip does not carry: a stub module with the same (empty) API stands in.
#  2. Its fork of go-http-auth is not served: upstream v0.4.0 plus the two functions the fork adds
#     (CheckSecret, RequireAuthStale) stands in; only basic/digest-auth middlewares use it.
#  3. lego's ACME DNS-provider registry imports cloud SDKs the proxy refuses: a copy of lego
#     without the providers that need them stands in (only those ACME DNS providers go).
# Idempotent: with the binary cached it prints its path at once. Cold: ~4.5 min on 2 cores,
# ~1.5 GB of modules, ~2 GB of build cache.
#
# Usage: scripts/build-traefik.sh [version]
set -euo pipefail

version="${1:-v3.7.13}"
cache="${DYNOFORM_CACHE:-$HOME/.cache/dynoform}"
bin="$cache/traefik-$version/traefik"
log() { echo "build-traefik: $*" >&2; }

if [[ -x "$bin" ]]; then echo "$bin"; exit 0; fi
mkdir -p "$cache"
exec 9>"$cache/traefik-build.lock"
flock 9
if [[ -x "$bin" ]]; then echo "$bin"; exit 0; fi
command -v go >/dev/null || { log "Go 1.26+ is needed to build Traefik $version from Go modules; install Go"; exit 1; }
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
work="$cache/traefik-build-$version"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
log "building Traefik $version from Go modules (about 4.5 minutes on 2 cores, once)"

moddir() { go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }
traefik_dir="$(moddir "github.com/traefik/traefik/v3@$version")"
lego_version="$(awk '$1 == "github.com/go-acme/lego/v5" { print $2; exit }' "$traefik_dir/go.mod")"
lego_dir="$(moddir "github.com/go-acme/lego/v5@$lego_version")"
auth_dir="$(moddir "github.com/abbot/go-http-auth@v0.4.0")"

# 1. The dynamic/ext stub: Traefik embeds these (empty outside its own builds) in its config types.
mkdir -p ext
cat > ext/go.mod <<'EOF'
module github.com/traefik/traefik/dynamic/ext

go 1.25
EOF
cat > ext/ext.go <<'EOF'
// Package ext stands in for Traefik's nested dynamic/ext module, which its module zip lacks.
package ext

// HTTP is embedded in Traefik's HTTP configuration; empty here.
type HTTP struct{}

// Router is embedded in Traefik's router configuration; empty here.
type Router struct{}

// RouterIng is the ingress annotations' router extension; empty here.
type RouterIng struct{}

// ToRouter converts ingress annotations to the router extension.
func (RouterIng) ToRouter() Router { return Router{} }
EOF

# 2. go-http-auth v0.4.0 plus what Traefik's fork adds.
cp -r "$auth_dir" go-http-auth
chmod -R u+w go-http-auth
rm -rf go-http-auth/examples
cat > go-http-auth/go.mod <<'EOF'
module github.com/abbot/go-http-auth

go 1.25
EOF
cat > go-http-auth/traefik_fork.go <<'EOF'
package auth

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// CheckSecret reports whether password matches the htpasswd-style secret (as the fork has it).
func CheckSecret(password, secret string) bool {
	compare := compareFuncs[0].compare
	for _, cmp := range compareFuncs[1:] {
		if strings.HasPrefix(secret, cmp.prefix) {
			compare = cmp.compare
			break
		}
	}
	return compare([]byte(secret), []byte(password)) == nil
}

// RequireAuthStale is RequireAuth with stale=true, so clients retry with a new nonce.
func (a *DigestAuth) RequireAuthStale(w http.ResponseWriter, r *http.Request) {
	if len(a.clients) > a.ClientCacheSize+a.ClientCacheTolerance {
		a.Purge(a.ClientCacheTolerance * 2)
	}
	nonce := RandomKey()
	a.clients[nonce] = &digest_client{nc: 0, last_seen: time.Now().UnixNano()}
	w.Header().Set(contentType, a.Headers.V().UnauthContentType)
	w.Header().Set(a.Headers.V().Authenticate,
		fmt.Sprintf(`Digest realm="%s", nonce="%s", opaque="%s", algorithm="MD5", qop="auth", stale=true`,
			a.Realm, nonce, a.Opaque))
	w.WriteHeader(a.Headers.V().UnauthCode)
	w.Write([]byte(a.Headers.V().UnauthResponse))
}
EOF

# 3. lego without the DNS providers whose SDKs the proxy refuses. Which ones is asked of the proxy,
# one module of lego's own go.mod at a time, not assumed.
cp -r "$lego_dir" lego
chmod -R u+w lego
rm -rf lego/docs lego/.github
awk '/^require \(/{r=1; next} r && /^\)/{r=0} r && NF >= 2 {print $1 "@" $2} /^require [^(]/{print $2 "@" $3}' lego/go.mod \
  | xargs -P 8 -I{} sh -c 'go mod download -json "{}" >/dev/null 2>&1 || echo "{}"' | sed 's/@.*//' | sort -u > refused.txt
log "lego requirements the proxy refuses: $(tr '\n' ' ' < refused.txt)"
: > dropped.txt
while read -r mod; do
  [[ -z "$mod" ]] && continue
  (cd lego && go mod edit -droprequire "$mod")
  grep -rlF "\"$mod" --include=*.go lego/providers/dns | sed -n 's#^lego/providers/dns/\([^/]*\)/.*#\1#p' >> dropped.txt || true
  if grep -rlF "\"$mod" --include=*.go lego | grep -v '^lego/providers/dns/' | grep -q .; then
    log "lego imports $mod outside its DNS providers; cannot drop it"; exit 1
  fi
done < refused.txt
sort -u -o dropped.txt dropped.txt
log "lego DNS providers left out: $(tr '\n' ' ' < dropped.txt)"
while read -r p; do [[ -n "$p" ]] && rm -rf "lego/providers/dns/$p"; done < dropped.txt
python3 - lego/providers/dns/zz_gen_dns_providers.go dropped.txt <<'EOF'
import re, sys
path, dropped = sys.argv[1], set(open(sys.argv[2]).read().split())
lines, out, i = open(path).read().split("\n"), [], 0
while i < len(lines):
    line = lines[i]
    m = re.match(r'\s*"github.com/go-acme/lego/v5/providers/dns/([^"/]+)"$', line)
    if m and m.group(1) in dropped:
        i += 1; continue
    if line.strip().startswith("case ") and i + 1 < len(lines):
        r = re.match(r'\s*return (\w+)\.', lines[i + 1])
        if r and r.group(1) in dropped:
            i += 2; continue
    out.append(line); i += 1
open(path, "w").write("\n".join(out))
EOF
rm -f lego/providers/dns/dns_providers_test.go

# The wrapper: a module that builds Traefik's own cmd/traefik package (nothing of it copied), with
# Traefik's replaces and exclude, and the three stand-ins.
cat > go.mod <<EOF
module dynoform.local/traefik

go 1.26.0

require github.com/traefik/traefik/v3 $version

replace (
	github.com/traefik/traefik/dynamic/ext => ./ext
	github.com/abbot/go-http-auth => ./go-http-auth
	github.com/go-acme/lego/v5 => ./lego
	github.com/gorilla/mux => github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59
)

exclude github.com/tencentcloud/tencentcloud-sdk-go v3.0.83+incompatible
EOF
nice go get "github.com/traefik/traefik/v3/cmd/traefik@$version" >&2
ldflags="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$version"
mkdir -p "$(dirname "$bin")"
nice go build -trimpath -ldflags "$ldflags" -o "$bin.tmp" github.com/traefik/traefik/v3/cmd/traefik >&2
mv "$bin.tmp" "$bin"
log "built $bin"
echo "$bin"
