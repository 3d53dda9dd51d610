#!/usr/bin/env bash
# Every test: installs what is missing (npm packages, Temporal CLI, Java test server, PostgreSQL for
# the store tests), builds, and runs node's test runner over lib/test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-test-server.sh >/dev/null

# `npm test -- <file or pattern>...` runs a subset (see scripts/test-files.sh); arguments starting
# with "-" go to node's test runner, e.g. `npm test -- window --test-name-pattern=free`.
patterns=()
node_args=()
for arg in "$@"; do
  if [[ "$arg" == -* ]]; then node_args+=("$arg"); else patterns+=("$arg"); fi
done
selection="$(bash scripts/test-files.sh ${patterns[@]+"${patterns[@]}"})"

# The whole suite starts with the linter (layer rules, lost promises, formatting); a subset, run
# while working on a few files, skips it (`npm run lint` runs it alone).
if [ "${#patterns[@]}" -eq 0 ]; then bash scripts/lint.sh; fi

# The tiers in order, fastest first (domain, workflow, replay, then the full stack); a failing tier
# stops the run, so a broken rule is reported in seconds rather than after the full stack.
# Test files run one at a time: time-skipping servers and the 2-core machine do best that way.
for tier in domain workflow replay full-stack; do
  files=()
  while read -r t f; do
    if [ "$t" = "$tier" ]; then files+=("$f"); fi
  done <<<"$selection"
  if [ "${#files[@]}" -eq 0 ]; then continue; fi
  echo "# npm test: $tier (${#files[@]} file(s))"
  node --test --test-concurrency=1 --test-reporter=spec ${node_args[@]+"${node_args[@]}"} "${files[@]}"
done
