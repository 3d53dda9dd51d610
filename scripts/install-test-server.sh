#!/usr/bin/env bash
# Prints the path of a wrapper that runs Temporal's Java time-skipping test server, fetching the
# Maven artifact io.temporal:temporal-test-server and its runtime classpath once into the cache.
# $TEMPORAL_TEST_SERVER may name an existing executable instead.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/tools-env.sh"

if [ -n "${TEMPORAL_TEST_SERVER:-}" ] && [ -x "$TEMPORAL_TEST_SERVER" ]; then echo "$TEMPORAL_TEST_SERVER"; exit 0; fi
wrapper="$TEST_SERVER_DIR/temporal-test-server"

jvm_opts="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
archive="$TEST_SERVER_DIR/classes.jsa"

write_wrapper() {
  # `exec` so that the SDK's teardown (kill the child) stops the JVM itself, not just a shell.
  # Output goes to a log file: the SDK leaves the child's stdio attached to the test process, and a
  # JVM writing into a pipe nobody drains (or that closes) stalls or dies mid-test.
  # The class-data archive (see make_archive) is used when present: -Xshare:auto ignores a missing
  # or stale one.
  local share=""
  [ -f "$archive" ] && share="-XX:SharedArchiveFile=$archive -Xshare:auto"
  cat > "$1" <<SH
#!/bin/sh
exec java $jvm_opts $share -cp '$TEST_SERVER_DIR/lib/*' io.temporal.testserver.TestServer "\$@" >>"\${TEMPORAL_TEST_SERVER_LOG:-/dev/null}" 2>&1
SH
  chmod +x "$1"
}

# The SDK gives the server 5 s to listen. A cold JVM on a loaded 2-core machine needs about 5.5 s,
# 3.5 s with an archive of the classes it loads at start (AppCDS), made once by starting it here.
make_archive() {
  [ -f "$archive" ] && return 0
  local port=$((20000 + RANDOM % 20000)) pid
  java $jvm_opts -XX:ArchiveClassesAtExit="$archive.tmp" -cp "$TEST_SERVER_DIR/lib/*" io.temporal.testserver.TestServer "$port" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  sleep 1
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ -s "$archive.tmp" ] && mv "$archive.tmp" "$archive" || rm -f "$archive.tmp"
}

# Two first runs at once (npm start beside npm test) would fetch into one work directory and race on
# the archive: the second waits for the first (flock is util-linux; without it, no lock).
if command -v flock >/dev/null; then
  mkdir -p "$(dirname "$TEST_SERVER_DIR")"
  exec 9>"$TEST_SERVER_DIR.lock"
  flock 9
fi
if [ -d "$TEST_SERVER_DIR/lib" ]; then make_archive; write_wrapper "$wrapper"; echo "$wrapper"; exit 0; fi

command -v mvn >/dev/null || { echo "install-test-server: Maven is needed to fetch the test server" >&2; exit 1; }
command -v java >/dev/null || { echo "install-test-server: Java is needed to run the test server" >&2; exit 1; }
work="$TEST_SERVER_DIR.tmp"
rm -rf "$work" && mkdir -p "$work"
cat > "$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.crm-sync</groupId><artifactId>test-server-classpath</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId>
      <version>$TEMPORAL_TEST_SERVER_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
echo "install-test-server: fetching temporal-test-server $TEMPORAL_TEST_SERVER_VERSION and its classpath (once)" >&2
mvn -q -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$work/lib" >&2
rm -rf "$TEST_SERVER_DIR" && mv "$work" "$TEST_SERVER_DIR"
make_archive
write_wrapper "$wrapper"
echo "$wrapper"
