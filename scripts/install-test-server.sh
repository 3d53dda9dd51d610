#!/usr/bin/env bash
# Prints the path of a wrapper that runs Temporal's Java time-skipping test server, fetching the
# Maven artifact io.temporal:temporal-test-server and its runtime classpath once into the cache.
# $TEMPORAL_TEST_SERVER may name an existing executable instead.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/tools-env.sh"

if [ -n "${TEMPORAL_TEST_SERVER:-}" ] && [ -x "$TEMPORAL_TEST_SERVER" ]; then echo "$TEMPORAL_TEST_SERVER"; exit 0; fi
wrapper="$TEST_SERVER_DIR/temporal-test-server"

write_wrapper() {
  # `exec` so that the SDK's teardown (kill the child) stops the JVM itself, not just a shell.
  # Output goes to a log file: the SDK leaves the child's stdio attached to the test process, and a
  # JVM writing into a pipe nobody drains (or that closes) stalls or dies mid-test.
  cat > "$1" <<SH
#!/bin/sh
exec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp '$TEST_SERVER_DIR/lib/*' io.temporal.testserver.TestServer "\$@" >>"\${TEMPORAL_TEST_SERVER_LOG:-/dev/null}" 2>&1
SH
  chmod +x "$1"
}

if [ -d "$TEST_SERVER_DIR/lib" ]; then write_wrapper "$wrapper"; echo "$wrapper"; exit 0; fi

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
write_wrapper "$wrapper"
echo "$wrapper"
