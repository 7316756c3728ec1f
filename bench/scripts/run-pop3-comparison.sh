#!/usr/bin/env bash
# run-pop3-comparison.sh: Quill vs Dovecot (default and high-performance login), POP3 retrieval.
#
# Every server holds MESSAGES_PER_BOX (10) messages of 4,096 bytes in each of user1..user1000@example.test:
# Quill gets them over SMTP (`quill bench smtp --sequential-rcpt`), Dovecot as Maildir files
# (`dovecot-peer.sh populate`). Each server then gets a warm-up pass that opens every mailbox once
# (`--pick sequential`), and the measured run: CLIENTS (8) clients for DURATION (30) seconds, each session
# choosing a random mailbox, logging in, STAT/UIDL/LIST, RETR of every message, QUIT (no DELE, so the mailboxes
# stay full). Prints the three RESULT lines and the ratios. SKIP_QUILL=1 / SKIP_DOVECOT=1 run one side only.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
source "$here/lib-peer.sh"
source "$here/lib-quill.sh"
require_root

MESSAGES_PER_BOX=${MESSAGES_PER_BOX:-10}
SIZE=${SIZE:-4096}
CLIENTS=${CLIENTS:-8}
DURATION=${DURATION:-30}
common=(--users "$BENCH_USERS" --domain "$BENCH_DOMAIN" --user-prefix "$BENCH_PREFIX" --password "$BENCH_PASSWORD")
warm=("${common[@]}" --concurrency "$CLIENTS" --pick sequential --rounds $(( (BENCH_USERS + CLIENTS - 1) / CLIENTS )))
measure=("${common[@]}" --concurrency "$CLIENTS" --duration "$DURATION")
quill_build
declare -A results

if [ -z "${SKIP_DOVECOT:-}" ]; then
  for mode in default high-performance; do
    "$here/dovecot-peer.sh" stop
    "$here/dovecot-peer.sh" populate "$MESSAGES_PER_BOX" "$SIZE"
    if [ "$mode" = default ]; then "$here/dovecot-peer.sh" start; else "$here/dovecot-peer.sh" start --high-performance; fi
    bench pop3 --port "${DOVECOT_PORT:-2111}" "${warm[@]}" | grep '^RESULT' | sed 's/^/warm-up: /' >&2
    results[dovecot-$mode]=$(bench_result pop3 --port "${DOVECOT_PORT:-2111}" "${measure[@]}")
  done
  "$here/dovecot-peer.sh" stop
fi

if [ -z "${SKIP_QUILL:-}" ]; then
  quill_start
  quill_users
  bench smtp --port "$QUILL_SMTP_PORT" --messages $((BENCH_USERS * MESSAGES_PER_BOX)) --size "$SIZE" \
    --concurrency 32 --users "$BENCH_USERS" --domain "$BENCH_DOMAIN" --user-prefix "$BENCH_PREFIX" \
    --sequential-rcpt | grep '^RESULT' | sed 's/^/populate: /' >&2
  bench pop3 --port "$QUILL_POP3_PORT" "${warm[@]}" | grep '^RESULT' | sed 's/^/warm-up: /' >&2
  results[quill]=$(bench_result pop3 --port "$QUILL_POP3_PORT" "${measure[@]}")
  quill_stop
fi

echo
echo "== POP3 comparison: $CLIENTS clients, $BENCH_USERS mailboxes x $MESSAGES_PER_BOX x $SIZE B, ${DURATION}s, $(nproc) cores"
for k in quill dovecot-default dovecot-high-performance; do
  [ -n "${results[$k]:-}" ] && echo "$k: ${results[$k]}"
done
if [ -n "${results[quill]:-}" ]; then
  q=$(result_field "${results[quill]}" rate)
  for k in dovecot-default dovecot-high-performance; do
    if [ -n "${results[$k]:-}" ]; then
      d=$(result_field "${results[$k]}" rate)
      awk -v q="$q" -v d="$d" -v k="$k" 'BEGIN { printf "RATIO pop3 quill/%s=%.2f (%s vs %s msgs/s)\n", k, q / d, q, d }'
    fi
  done
fi
