#!/usr/bin/env bash
# `npm run bench`: installs and builds what is missing, then prints one BENCH line per scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node lib/bench/index.js
