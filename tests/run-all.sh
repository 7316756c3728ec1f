#!/usr/bin/env bash
# The whole test suite: unit, property and end-to-end tests through Maven (which also builds the
# jars), then the integration scripts against a really started node, a really started three-node
# cluster and a node whose disk fills up (a tmpfs: needs root, else skipped), with curl and Python
# clients, then a short chaos run (three nodes killed, restarted and paused under load; nothing
# acknowledged may be lost, no confirmed delete may return).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
: "${JAVA_HOME:?run through ./quill test, which finds JDK 25}"
./mvnw -B -ntp verify "$@"
single=0; tests/integration/run.sh || single=$?
clustered=0; tests/integration/cluster.sh || clustered=$?
disk=0; tests/integration/disk.sh || disk=$?
chaos=0; ./quill bench chaos --seconds 40 --seed 1 || chaos=$?
echo "chaos (40 s, seed 1): $([ "$chaos" -eq 0 ] && echo passed || echo FAILED)"
[ "$single" -eq 0 ] && [ "$clustered" -eq 0 ] && [ "$disk" -eq 0 ] && [ "$chaos" -eq 0 ]
