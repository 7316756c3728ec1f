#!/usr/bin/env bash
# Helpers of the comparison scripts to run a throw-away Quill node; sourced, not run. Needs lib-peer.sh first.
#
# The node runs from the repository's ./quill launcher with a fresh data directory; administration commands
# (domain add, user add) reach it through its admin channel while it runs.

REPO_ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
QUILL="$REPO_ROOT/quill"
QUILL_SMTP_PORT=${QUILL_SMTP_PORT:-2525}
QUILL_POP3_PORT=${QUILL_POP3_PORT:-2110}
QUILL_PID=
QUILL_DATA=

# QUILL_BENCH_CMD overrides how the load generator is run (default: "$QUILL bench"), e.g. to try the peer half
# with a load generator built elsewhere while the tree does not build.
QUILL_BENCH_CMD=${QUILL_BENCH_CMD:-}

# quill_build: builds the server and bench jars once (the launcher rebuilds only when sources changed).
quill_build() {
  if [ -n "$QUILL_BENCH_CMD" ] && [ -n "${SKIP_QUILL:-}" ]; then
    return 0
  fi
  (cd "$REPO_ROOT" && "$QUILL" bench --version >/dev/null) || die "could not build quill-bench.jar"
}

# quill_start [JAVA_OPTS [CONFIG_TOML]]: starts a node on a fresh data directory in the background;
# sets QUILL_PID and QUILL_DATA.
quill_start() {
  local opts=${1:-} config=()
  [ -n "${2:-}" ] && config=(--config "$2")
  QUILL_DATA=$(mktemp -d /tmp/quill-bench-data.XXXXXX)
  log "starting Quill (data $QUILL_DATA, log $QUILL_DATA.log${opts:+, JAVA_TOOL_OPTIONS=$opts})"
  (cd "$REPO_ROOT" && JAVA_TOOL_OPTIONS="$opts" exec "$QUILL" serve --data "$QUILL_DATA" "${config[@]}" \
    </dev/null >"$QUILL_DATA.log" 2>&1) &
  QUILL_PID=$!
  trap quill_stop EXIT
  wait_port "$QUILL_SMTP_PORT" 120 || { tail -20 "$QUILL_DATA.log" >&2; die "Quill did not listen on $QUILL_SMTP_PORT"; }
  wait_port "$QUILL_POP3_PORT" 30 || { tail -20 "$QUILL_DATA.log" >&2; die "Quill did not listen on $QUILL_POP3_PORT"; }
}

# quill_java_pid: the JVM's pid (the launcher execs java, so it is the background job's pid).
quill_java_pid() {
  echo "$QUILL_PID"
}

# quill_users: adds the bench domain and <prefix>1..N with password $BENCH_PASSWORD in one `user import`.
quill_users() {
  log "adding $BENCH_DOMAIN and $BENCH_USERS users to Quill"
  (cd "$REPO_ROOT" && "$QUILL" domain add "$BENCH_DOMAIN" --data "$QUILL_DATA" >/dev/null)
  seq 1 "$BENCH_USERS" | sed "s/.*/$BENCH_PREFIX&@$BENCH_DOMAIN $BENCH_PASSWORD/" \
    | (cd "$REPO_ROOT" && "$QUILL" user import --data "$QUILL_DATA" >/dev/null) || die "adding users failed"
}

# quill_stop: stops the node this script started and removes its data directory.
quill_stop() {
  if [ -n "$QUILL_PID" ] && kill -0 "$QUILL_PID" 2>/dev/null; then
    kill "$QUILL_PID"
    wait "$QUILL_PID" 2>/dev/null || true
  fi
  QUILL_PID=
  if [ -n "$QUILL_DATA" ] && [ -z "${KEEP_DATA:-}" ]; then
    rm -rf "$QUILL_DATA"
  fi
}

# bench ARGS...: runs the load generator through the launcher.
bench() {
  if [ -n "$QUILL_BENCH_CMD" ]; then
    $QUILL_BENCH_CMD "$@"
  else
    (cd "$REPO_ROOT" && "$QUILL" bench "$@")
  fi
}

# bench_result ARGS...: runs the load generator, shows its report on stderr, prints only its RESULT line.
# A run with errors still prints its RESULT line (errors=N says so).
bench_result() {
  local out
  out=$(bench "$@") || true
  printf '%s\n' "$out" >&2
  grep '^RESULT' <<<"$out" || true
}

# result_field LINE KEY: the value of KEY=... in a RESULT line.
result_field() {
  tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}
