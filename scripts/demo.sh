#!/usr/bin/env bash
# The demo: installs what is missing, runs `pulumi up` of examples/hello on a local file backend,
# and prints the response of one request made through the router.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
# Node 22+ first on PATH before anything runs on Node (set-up fetches Node 24 when the system's is older).
node_env=$(bash scripts/node.sh --env)
eval "$node_env"
[[ -d node_modules/@pulumi/pulumi ]] || npm ci --no-audit --no-fund
npx tsc -p tsconfig.json
bash scripts/setup.sh
# shellcheck disable=SC1091
source "${DYNOFORM_CACHE:-$HOME/.cache/dynoform}/env.sh"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$repo/.pulumi-state}"
mkdir -p "$repo/.pulumi-state"

cd examples/hello
pulumi stack select demo --create --non-interactive >/dev/null
pulumi up --yes --non-interactive
url=$(pulumi stack output url)
echo
echo "GET $url"
# *.localhost names are loopback; --resolve makes that explicit for any curl version.
host=$(echo "$url" | sed -E 's#http://([^:/]+):([0-9]+).*#\1#')
port=$(echo "$url" | sed -E 's#http://([^:/]+):([0-9]+).*#\2#')
# The router finds a new dyno through Docker's DNS within about a second: retry briefly.
for _ in $(seq 1 40); do
  if curl -fs --resolve "$host:$port:127.0.0.1" "$url"; then
    echo
    echo "The app runs. Remove it with: (cd examples/hello && PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL pulumi destroy --yes --stack demo)"
    exit 0
  fi
  sleep 0.5
done
curl -sS --resolve "$host:$port:127.0.0.1" "$url" >&2 || true
echo "demo: no 200 from $url after 20 s; see 'docker logs dynoform-router'" >&2
exit 1
