#!/usr/bin/env bash
# The whole test suite: unit, property and end-to-end tests through Maven (which also builds the
# jars), then the integration script against a really started node with curl and Python clients.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
: "${JAVA_HOME:?run through ./quill test, which finds JDK 25}"
./mvnw -B -ntp verify "$@"
tests/integration/run.sh
