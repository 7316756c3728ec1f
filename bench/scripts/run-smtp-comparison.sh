#!/usr/bin/env bash
# run-smtp-comparison.sh: Quill vs Postfix, SMTP delivery of 4 KB messages to 1,000 local mailboxes.
#
# Both servers get the same `quill bench smtp` run: MESSAGES (20,000) measured messages after WARMUP (20,000),
# SESSIONS (32) concurrent sessions, 4,096-byte messages, recipients uniform over user1..user1000@example.test.
# Quill: a fresh node on 127.0.0.1:2525 (./quill serve). Postfix: bench/scripts/postfix-peer.sh on 127.0.0.1:2526,
# its Maildirs emptied first; afterwards the script also waits for Postfix's queue to drain (its 250 means
# "queued", Quill's means "in the mailbox") and prints the drain time.
# The warm-up is long because Quill runs on a JVM that compiles its hot paths during the first ~10 s of load
# (a cold node delivers about 40% fewer messages per second); a mail server runs warm for days, and Postfix
# gets the same warm-up (its smtpd/cleanup processes and caches warm up too).
# Prints both RESULT lines and the ratio of the rates. Set SKIP_QUILL=1 or SKIP_POSTFIX=1 to run one side only.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
source "$here/lib-peer.sh"
source "$here/lib-quill.sh"
require_root

MESSAGES=${MESSAGES:-20000}
WARMUP=${WARMUP:-20000}
SESSIONS=${SESSIONS:-32}
SIZE=${SIZE:-4096}
args=(--messages "$MESSAGES" --warmup "$WARMUP" --concurrency "$SESSIONS" --size "$SIZE" --users "$BENCH_USERS"
  --domain "$BENCH_DOMAIN" --user-prefix "$BENCH_PREFIX" ${SMTP_EXTRA:-})
quill_build
quill_result=""
postfix_result=""

if [ -z "${SKIP_POSTFIX:-}" ]; then
  "$here/postfix-peer.sh" start
  "$here/postfix-peer.sh" clear-mail
  postfix_result=$(bench_result smtp --port "${POSTFIX_PORT:-2526}" "${args[@]}")
  log "Postfix: $("$here/postfix-peer.sh" wait-queue) (delivery to the Maildirs lagging behind the 250s)"
  "$here/postfix-peer.sh" stop
fi

if [ -z "${SKIP_QUILL:-}" ]; then
  quill_start
  quill_users
  quill_result=$(bench_result smtp --port "$QUILL_SMTP_PORT" "${args[@]}")
  quill_stop
fi

echo
echo "== SMTP comparison: $MESSAGES x $SIZE B, $SESSIONS sessions, $BENCH_USERS users, $(nproc) cores"
[ -n "$quill_result" ] && echo "$quill_result"
[ -n "$postfix_result" ] && echo "$postfix_result"
if [ -n "$quill_result" ] && [ -n "$postfix_result" ]; then
  q=$(result_field "$quill_result" rate)
  p=$(result_field "$postfix_result" rate)
  awk -v q="$q" -v p="$p" 'BEGIN { printf "RATIO smtp quill/postfix=%.2f (%s vs %s msgs/s)\n", q / p, q, p }'
fi
