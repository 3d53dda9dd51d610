#!/usr/bin/env bash
# Every test: installs what is missing (npm packages, Temporal CLI, Java test server, PostgreSQL for
# the store tests), builds, and runs node's test runner over lib/test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/install-test-server.sh >/dev/null
# Test files run one at a time: time-skipping servers and the 2-core machine do best that way.
exec node --test --test-concurrency=1 --test-reporter=spec lib/test/*.test.js
