#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on loopback for the store tests and prints its DATABASE_URL.
# Installs Debian's postgresql when no server binaries are found. `test-postgres.sh stop DIR` stops it;
# `test-postgres.sh restart DIR [SECONDS]` stops it (fast: open connections are terminated), leaves it
# down that long, and starts it again on the same port and data (the fault tests).
set -euo pipefail
if [ "${1:-}" = "restart" ]; then
  dir="$2"
  runas() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  bin="$(cat "$dir/.bindir")"
  runas "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
  sleep "${3:-0}"
  runas "$bin/pg_ctl" -D "$dir" -o "$(cat "$dir/.options")" -l "$(dirname "$dir")/log" -w start >/dev/null
  exit 0
fi
if [ "${1:-}" = "stop" ]; then
  dir="$2"
  runas() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  [ -d "$dir" ] && runas "$(cat "$dir/.bindir")/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$(dirname "$dir")"
  exit 0
fi

find_bindir() {
  for d in "${PG_BINDIR:-}" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}
bindir=$(find_bindir) || {
  echo "test-postgres: installing Debian's postgresql" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  else sudo apt-get update -qq >&2 && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2; fi
  bindir=$(find_bindir)
}

dir=$(mktemp -d /tmp/crm-sync-pg.XXXXXX)
echo "$bindir" > "$dir/.bindir"
port=$(( 20000 + RANDOM % 20000 ))
# PostgreSQL refuses to run as root: run it as the postgres user the package created.
if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir"; runas() { runuser -u postgres -- "$@"; }; else runas() { "$@"; }; fi
runas "$bindir/initdb" -D "$dir/data" -U crm --auth=trust -E UTF8 >/dev/null
options="-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off"
runas "$bindir/pg_ctl" -D "$dir/data" -o "$options" -l "$dir/log" -w start >/dev/null
mv "$dir/.bindir" "$dir/data/.bindir"
echo "$options" > "$dir/data/.options"
echo "DATABASE_URL=postgres://crm@127.0.0.1:$port/postgres PG_TEST_DIR=$dir/data"
