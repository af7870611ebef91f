#!/usr/bin/env bash
# `npm run test:upstream-latest`: the wrapper and integration tests against the NEWEST releases of
# the upstream OpenTelemetry packages ck-agent wraps and runs on (every @opentelemetry/* package of
# package.json), on Node 24 (the newest line needs Node >= 22.15). Works in a copy of the checkout
# (.upstream-latest/repo): package.json and package-lock.json of the checkout are never changed.
# Prints the versions it tested; README "Upstream compatibility" keeps the table.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
work="${CK_UPSTREAM_LATEST_DIR:-$root/.upstream-latest}"
copy="$work/repo"
export npm_config_loglevel="${npm_config_loglevel:-error}" npm_config_fund=false npm_config_audit=false

node_bin="$(bash scripts/node-bin.sh 24)"
export PATH="$node_bin:$PATH"
echo "   using node $(node --version)"

echo "   copying the checkout (with its node_modules, as installed from package-lock.json) to $copy"
[ -d node_modules ] || npm ci >/dev/null
rm -rf "$copy"
mkdir -p "$copy"
tar --exclude=./.git --exclude=./.upstream-latest --exclude=./build --exclude=./coverage --exclude='./.node[0-9]*' \
  -cf - . | tar -xf - -C "$copy"
cd "$copy"

# Packages the newest line no longer releases: their last release still pins the previous line
# (peer @opentelemetry/api < 1.10), so they cannot sit beside it. sdk-trace-base became a shim of
# @opentelemetry/sdk-trace in 2.x and ends there: its name is pointed at sdk-trace (same exports
# ck-agent uses). sdk-trace-node (dev only, not used by the tests run here) is left out.
declare -A successor=(["@opentelemetry/sdk-trace-base"]="@opentelemetry/sdk-trace")
retired=("@opentelemetry/sdk-trace-node")

mapfile -t upstream < <(node -e '
  const p = require("./package.json");
  const names = [...Object.keys(p.dependencies || {}), ...Object.keys(p.devDependencies || {})];
  for (const n of names) if (n.startsWith("@opentelemetry/")) console.log(n);
')
specs=()
for name in "${upstream[@]}"; do
  if printf '%s\n' "${retired[@]}" | grep -qx "$name"; then continue; fi
  if [ -n "${successor[$name]:-}" ]; then specs+=("$name@npm:${successor[$name]}@latest"); else specs+=("$name@latest"); fi
done
echo "   npm uninstall ${retired[*]} (retired)"
npm uninstall "${retired[@]}" >/dev/null
echo "   npm install ${#specs[@]} upstream packages @latest"
npm install --save-exact "${specs[@]}" >/dev/null
echo "   tested versions:"
node -e '
  const p = require("./package.json");
  const names = [...Object.keys(p.dependencies || {}), ...Object.keys(p.devDependencies || {})].filter((n) => n.startsWith("@opentelemetry/"));
  for (const n of names) {
    const m = require(`./node_modules/${n}/package.json`);
    console.log(`     ${n} ${m.name === n ? "" : m.name + " "}${m.version}`);
  }
'

npm run build
# Arguments replace the default selection (e.g. one test file while working on a version switch).
if [ $# -gt 0 ]; then npx ava "$@"; else npx ava 'test/instrumentations/**/*.test.ts' 'test/integration/**/*.test.ts'; fi
