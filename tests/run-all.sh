#!/usr/bin/env bash
# The whole test suite: unit, property and end-to-end tests through Maven (which also builds the
# jars), then the integration scripts against a really started node and a really started three-node
# cluster, with curl and Python clients.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
: "${JAVA_HOME:?run through ./quill test, which finds JDK 25}"
./mvnw -B -ntp verify "$@"
single=0; tests/integration/run.sh || single=$?
clustered=0; tests/integration/cluster.sh || clustered=$?
[ "$single" -eq 0 ] && [ "$clustered" -eq 0 ]
