#!/usr/bin/env bash
# Prints the path of a `temporal` CLI (dev server + Web UI), building it from source with `go install`
# when none is available. Order: $TEMPORAL_CLI, then `temporal` on PATH, then the version-keyed cache.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/tools-env.sh"

if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "$TEMPORAL_CLI" ]; then echo "$TEMPORAL_CLI"; exit 0; fi
if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
bin="$TEMPORAL_CLI_DIR/bin/temporal"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { echo "install-temporal-cli: Go is needed to build the Temporal CLI" >&2; exit 1; }
mkdir -p "$TEMPORAL_CLI_DIR"
# `npm start` and `npm test` started together on a new machine would both build into bin.tmp: the
# second waits for the first and then finds its binary (flock is util-linux; without it, no lock).
if command -v flock >/dev/null; then
  exec 9>"$TEMPORAL_CLI_DIR.lock"
  flock 9
  if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
fi
rm -rf "$TEMPORAL_CLI_DIR/bin.tmp"
echo "install-temporal-cli: building temporal $TEMPORAL_CLI_VERSION from source (a few minutes, once)" >&2
# Later tags carry a `replace` directive that `go install` refuses; v1.5.1 is the newest that builds this way.
build() { GOBIN="$TEMPORAL_CLI_DIR/bin.tmp" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" >&2; }
if ! build; then
  # Only when the checksum database is out of reach; the module's go.sum still pins its dependencies.
  echo "install-temporal-cli: retrying with GOSUMDB=off" >&2
  GOSUMDB=off build
fi
mv "$TEMPORAL_CLI_DIR/bin.tmp" "$TEMPORAL_CLI_DIR/bin"
echo "$bin"
