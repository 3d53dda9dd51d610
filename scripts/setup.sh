#!/usr/bin/env bash
# Installs what the project needs from the registries and builds it. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
node -e 'const [maj]=process.versions.node.split(".").map(Number); if (maj !== 20) { console.error(`Node 20 is required (found ${process.version}); see README`); process.exit(1); }'
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install` rather than `npm ci`: the lock pins every version, but it lacks entries for
  # @swc/core's other-platform binaries (the registry mirror this project was locked against does
  # not carry them), and `npm ci` refuses a lock with missing optional entries. --no-save keeps
  # the lock untouched.
  npm install --no-save --no-audit --no-fund --loglevel=error
fi
# A clean build: tsc never deletes the output of a source file that was moved or removed, and a
# stale lib/src/workflows/integration.js would shadow the integration/ folder that replaced it.
rm -rf lib
# The native TypeScript 7 compiler builds; it is installed under the alias `typescript-native`
# because the package named `typescript` is 6.0.3, the JS compiler API typescript-eslint needs
# (see README, Versions). `npx tsc` would run that slower 6.0.3.
node node_modules/typescript-native/bin/tsc -p tsconfig.json
bash scripts/install-temporal-cli.sh >/dev/null
