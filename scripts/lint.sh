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

# Prettier's format check over everything .prettierignore leaves: the .ts sources and the JSON/JS
# configs (`npx prettier --write .` fixes what it finds). LINT_PRETTIER=skip leaves it out.
# --cache is safe here (a file's format depends on the file and the config only).
case "${LINT_PRETTIER:-check}" in
  check) node_modules/.bin/prettier --check --log-level=warn --cache --cache-strategy=content . ;;
  skip) echo "lint: prettier --check skipped (LINT_PRETTIER=skip)" >&2 ;;
  *) echo "lint: LINT_PRETTIER is check or skip, not '${LINT_PRETTIER}'" >&2; exit 2 ;;
esac
