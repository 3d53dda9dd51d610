# Sourced by the other scripts: where built tools are cached, keyed by version, outside the clone,
# so a second run and CI's fresh clone on the same machine reuse them.
TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"
TEMPORAL_TEST_SERVER_VERSION="${TEMPORAL_TEST_SERVER_VERSION:-1.38.0}"
CRM_SYNC_CACHE="${CRM_SYNC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/crm-sync}"
TEMPORAL_CLI_DIR="$CRM_SYNC_CACHE/temporal-cli-$TEMPORAL_CLI_VERSION"
TEST_SERVER_DIR="$CRM_SYNC_CACHE/temporal-test-server-$TEMPORAL_TEST_SERVER_VERSION"
