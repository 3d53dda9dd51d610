#!/usr/bin/env bash
# Lints the sources: ESLint on src/, test/ and bench/ (the layer rules of ARCHITECTURE.md, lost
# promises, deprecated APIs; see eslint.config.mjs). It reads the .ts files with type information
# from tsconfig.json and does not need a build, only node_modules (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/eslint ]; then
  echo "lint: node_modules lacks eslint; run 'npm install --no-save' (or bash scripts/setup.sh) first" >&2
  exit 1
fi
node_modules/.bin/eslint --max-warnings=0 src test bench
