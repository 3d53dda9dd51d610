#!/usr/bin/env bash
# The main job: Temporal dev server + UI, HubSpot sandbox with demo data, embedded database, worker.
# Logs are pino JSON lines, shown through pino-pretty; LOG_FORMAT=json keeps them raw.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "${LOG_FORMAT:-pretty}" = json ]; then exec node lib/src/dev/main.js; fi
# Ctrl-C reaches both processes; main.js stops its children and exits, then pino-pretty ends.
node lib/src/dev/main.js 2>&1 | node_modules/.bin/pino-pretty --ignore pid,hostname --translateTime SYS:HH:MM:ss.l
