#!/usr/bin/env bash
# How long IMAP SEARCH takes over one big mailbox: a Quill node, one user with MESSAGES (default 10,000)
# messages of SIZE bytes delivered over SMTP (each with a distinct word in its body), then ROUNDS timed
# `UID SEARCH BODY <word>`, `UID SEARCH TEXT <word>` and `UID SEARCH SUBJECT <word>` through Python's imaplib,
# reporting the median and the worst. The issue's bar: body SEARCH over 10,000 messages "well under a second".
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
source "$here/lib-peer.sh"
source "$here/lib-quill.sh"

MESSAGES=${MESSAGES:-10000}
SIZE=${SIZE:-4096}
ROUNDS=${ROUNDS:-10}
BENCH_USERS=1
QUILL_IMAP_PORT=${QUILL_IMAP_PORT:-2143}

quill_build
quill_start
quill_users
bench smtp --port "$QUILL_SMTP_PORT" --messages "$MESSAGES" --size "$SIZE" --concurrency 16 --users 1 \
  --domain "$BENCH_DOMAIN" --user-prefix "$BENCH_PREFIX" | grep '^RESULT' | sed 's/^/populate: /' >&2
python3 - "$QUILL_IMAP_PORT" "$BENCH_PREFIX"1@"$BENCH_DOMAIN" "$BENCH_PASSWORD" "$ROUNDS" "$MESSAGES" <<'PY'
import imaplib, statistics, sys, time
port, user, password, rounds, messages = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
m = imaplib.IMAP4("127.0.0.1", port)
m.login(user, password)
typ, data = m.select("INBOX", readonly=True)
exists = int(data[0])
assert exists >= messages, f"only {exists} messages in INBOX"
# A word that no message contains forces a scan of every message; a common one ("the") matches all.
for label, args in (("BODY absent-word", ("BODY", "zebrafinch")), ("BODY common-word", ("BODY", "the")),
                    ("TEXT absent-word", ("TEXT", "zebrafinch")), ("SUBJECT absent-word", ("SUBJECT", "zebrafinch"))):
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        typ, data = m.uid("SEARCH", None, *args)
        times.append((time.perf_counter() - t) * 1000)
        assert typ == "OK", data
    hits = len(data[0].split()) if data[0] else 0
    print(f"RESULT imap-search query={label.replace(' ', '_')} messages={exists} hits={hits} "
          f"median_ms={statistics.median(times):.1f} max_ms={max(times):.1f} rounds={rounds}")
m.logout()
PY
quill_stop
