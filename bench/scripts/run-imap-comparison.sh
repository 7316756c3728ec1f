#!/usr/bin/env bash
# run-imap-comparison.sh: Quill vs Dovecot (default and high-performance login), IMAP mixed client load and
# full-message fetches.
#
# Every server holds MESSAGES_PER_BOX (100) messages of SIZE (4,096) bytes in each INBOX of
# user1..user1000@example.test: Dovecot as Maildir files (`dovecot-peer.sh populate`, IMAP on 127.0.0.1:2144),
# Quill over SMTP (`quill bench smtp --sequential-rcpt`, IMAP on QUILL_IMAP_PORT, its default 2143). Each server
# then gets a warm-up pass, WARM_SESSIONS (50) sessions that open every mailbox once and fetch its header list
# (`--pick sequential --reconnect-every 1 --mix headers=1`), so Dovecot's index and cache files exist and
# messages are in cur/, followed by WARM_SECONDS (20) of the measured mixed load itself, so that Quill's JVM has
# compiled its hot paths (a mail server runs warm for days; Dovecot gets the same pass); then two measured runs of DURATION (30) seconds with SESSIONS (200) concurrent sessions
# on random mailboxes, their first connections spread over RAMP_UP (5) seconds (Dovecot's default mode listens
# with a backlog of 100, its imap-login process_limit, and 200 simultaneous connects overflow it):
#   mixed       the default `quill bench imap` mix (header lists of 50, bodies, flag changes, searches, APPEND
#               and expunge, IDLE, folder switches; a new login every 50 operations), operations/s;
#   fetch-full  only UID FETCH BODY.PEEK[] of random messages, messages/s.
# Prints the RESULT lines and the ratios. SKIP_QUILL=1 / SKIP_DOVECOT=1 run one side only; IMAP_EXTRA adds
# options to every measured run (e.g. "--reconnect-every 100").
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
source "$here/lib-peer.sh"
source "$here/lib-quill.sh"
require_root

MESSAGES_PER_BOX=${MESSAGES_PER_BOX:-100}
SIZE=${SIZE:-4096}
SESSIONS=${SESSIONS:-200}
WARM_SESSIONS=${WARM_SESSIONS:-50}
RAMP_UP=${RAMP_UP:-5}
DURATION=${DURATION:-30}
WARM_SECONDS=${WARM_SECONDS:-20}
QUILL_IMAP_PORT=${QUILL_IMAP_PORT:-2143}
DOVECOT_IMAP_PORT=${DOVECOT_IMAP_PORT:-2144}
common=(--users "$BENCH_USERS" --domain "$BENCH_DOMAIN" --user-prefix "$BENCH_PREFIX" --password "$BENCH_PASSWORD")
warm=("${common[@]}" --concurrency "$WARM_SESSIONS" --pick sequential --reconnect-every 1 --mix headers=1
  --rounds $(( (BENCH_USERS + WARM_SESSIONS - 1) / WARM_SESSIONS )) --allow-errors)
measure=("${common[@]}" --concurrency "$SESSIONS" --duration "$DURATION" --ramp-up "$RAMP_UP" ${IMAP_EXTRA:-})
ulimit -n 65536 2>/dev/null || true
quill_build
declare -A results

# run_side NAME PORT: warm-up pass, then the mixed and fetch-full runs against 127.0.0.1:PORT.
run_side() {
  local name=$1 port=$2
  bench imap --port "$port" "${warm[@]}" | grep '^RESULT' | sed 's/^/warm-up: /' >&2
  bench imap --port "$port" "${common[@]}" --concurrency "$SESSIONS" --duration "$WARM_SECONDS" --ramp-up "$RAMP_UP" --allow-errors \
    | grep '^RESULT' | sed 's/^/warm-up (mixed): /' >&2
  results[$name-mixed]=$(bench_result imap --port "$port" "${measure[@]}")
  results[$name-fetch-full]=$(bench_result imap --port "$port" "${measure[@]}" --mode fetch-full)
}

if [ -z "${SKIP_DOVECOT:-}" ]; then
  for mode in default high-performance; do
    "$here/dovecot-peer.sh" stop
    "$here/dovecot-peer.sh" populate "$MESSAGES_PER_BOX" "$SIZE"
    if [ "$mode" = default ]; then "$here/dovecot-peer.sh" start; else "$here/dovecot-peer.sh" start --high-performance; fi
    run_side "dovecot-$mode" "$DOVECOT_IMAP_PORT"
  done
  "$here/dovecot-peer.sh" stop
fi

if [ -z "${SKIP_QUILL:-}" ]; then
  # All sessions come from 127.0.0.1: raise Quill's per-client limit (default 100) above the session count,
  # as Dovecot has no per-address connection limit by default.
  config=$(mktemp /tmp/quill-bench-imap.XXXXXX.toml)
  printf '[imap]\nmax_connections_per_ip = %d\n' $((SESSIONS + 100)) >"$config"
  quill_start "" "$config"
  wait_port "$QUILL_IMAP_PORT" 30 || { tail -20 "$QUILL_DATA.log" >&2; die "Quill did not listen on $QUILL_IMAP_PORT"; }
  quill_users
  bench smtp --port "$QUILL_SMTP_PORT" --messages $((BENCH_USERS * MESSAGES_PER_BOX)) --size "$SIZE" \
    --concurrency 32 --users "$BENCH_USERS" --domain "$BENCH_DOMAIN" --user-prefix "$BENCH_PREFIX" \
    --sequential-rcpt | grep '^RESULT' | sed 's/^/populate: /' >&2
  run_side quill "$QUILL_IMAP_PORT"
  quill_stop
fi

echo
echo "== IMAP comparison: $SESSIONS sessions, $BENCH_USERS mailboxes x $MESSAGES_PER_BOX x $SIZE B, ${DURATION}s," \
  "$(nproc) cores"
for k in quill dovecot-default dovecot-high-performance; do
  for w in mixed fetch-full; do
    [ -n "${results[$k-$w]:-}" ] && echo "$k $w: ${results[$k-$w]}"
  done
done
if [ -n "${results[quill-mixed]:-}" ]; then
  for k in dovecot-default dovecot-high-performance; do
    for w in mixed fetch-full; do
      if [ -n "${results[$k-$w]:-}" ] && [ -n "${results[quill-$w]:-}" ]; then
        q=$(result_field "${results[quill-$w]}" rate)
        d=$(result_field "${results[$k-$w]}" rate)
        awk -v q="$q" -v d="$d" -v k="$k" -v w="$w" \
          'BEGIN { printf "RATIO imap %s quill/%s=%.2f (%s vs %s per s)\n", w, k, q / d, q, d }'
      fi
    done
  done
fi
