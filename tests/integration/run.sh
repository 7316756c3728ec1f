#!/usr/bin/env bash
# Integration tests against a really started node: the CLI (offline and through a running node),
# curl's smtp:// and pop3://, and Python's smtplib/poplib (test_mail.py), including bad input,
# a graceful stop and a restart that finds every message.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
quill="$root/quill"
work="$(mktemp -d)"
data="$work/data"
log="$work/node.log"
passed=0; failed=0
node_pid=""

cleanup() {
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then kill -9 "$node_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT

check() { # check NAME COMMAND...: one named assertion
  local name="$1"; shift
  if "$@" >"$work/out" 2>&1; then passed=$((passed+1)); echo "ok   $name"
  else failed=$((failed+1)); echo "FAIL $name"; sed 's/^/     /' "$work/out" | head -20; fi
}

source "$root/tests/integration/ports.sh"
read -r SMTP SUB POP IMAP < <(free_ports 4 | tr '\n' ' ')
export QUILL_SMTP=$SMTP QUILL_SUB=$SUB QUILL_POP=$POP QUILL_IMAP=$IMAP

start_node() {
  "$quill" serve --data "$data" --hostname mx.example.test --smtp-port "$SMTP" --submission-port "$SUB" \
    --pop3-port "$POP" --imap-port "$IMAP" >>"$log" 2>&1 &
  node_pid=$!
  for _ in $(seq 1 100); do
    if [ -f "$data/admin.json" ] && (exec 3<>"/dev/tcp/127.0.0.1/$POP") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "node did not start; log:"; cat "$log"; return 1
}

# --- CLI on a stopped node -------------------------------------------------------------------
check "domain add (offline)" "$quill" domain add example.test --data "$data"
check "user add reads password from stdin (offline)" bash -c "printf 'alice-pw\n' | '$quill' user add alice@example.test --data '$data'"
check "user add refuses a duplicate" bash -c "! printf 'x\n' | '$quill' user add alice@example.test --data '$data'"
check "user add refuses an unknown domain" bash -c "! printf 'x\n' | '$quill' user add carol@nowhere.test --data '$data'"
check "alias add (offline)" "$quill" alias add postmaster@example.test alice@example.test --data "$data"

# --- a running node --------------------------------------------------------------------------
start_node || { echo "integration: 0 passed, 1 failed"; exit 1; }
check "user add through the running node's admin channel" bash -c "printf 'bob-pw\n' | '$quill' user add bob@example.test --data '$data'"
check "user import adds many users through the running node" bash -c "printf 'carol@example.test carol-pw\n# comment\ndave@example.test dave-pw\n' | '$quill' user import --data '$data' | grep -q '2 users added'"
check "user import stops at a bad line and says which" bash -c "out=\$(printf 'erin@example.test\n' | '$quill' user import --data '$data' 2>&1); rc=\$?; echo \"\$out\"; [ \$rc -ne 0 ] && echo \"\$out\" | grep -q 'line 1'"
check "user list through the running node" bash -c "'$quill' user list --data '$data' | grep -q '^bob@example.test'"
check "bad config is refused with key and line" bash -c "printf '[smtp]\nport = 99999\n' > '$work/bad.toml'; ! '$quill' serve --config '$work/bad.toml' --data '$work/other' 2>'$work/err'; grep -q 'bad.toml:2: smtp.port' '$work/err'"

printf 'From: curl <curl@example.org>\r\nTo: alice@example.test\r\nSubject: via curl\r\n\r\nHello from curl.\r\n' > "$work/msg.eml"
check "curl smtp:// delivers" curl -sS --fail "smtp://127.0.0.1:$SMTP" --mail-from curl@example.org \
  --mail-rcpt alice@example.test --upload-file "$work/msg.eml"
check "curl smtp:// to an unknown user is refused" bash -c "! curl -sS 'smtp://127.0.0.1:$SMTP' --mail-from a@example.org --mail-rcpt nobody@example.test --upload-file '$work/msg.eml'"
check "curl smtp:// relay is refused" bash -c "! curl -sS 'smtp://127.0.0.1:$SMTP' --mail-from a@example.org --mail-rcpt someone@elsewhere.test --upload-file '$work/msg.eml'"
check "curl pop3:// lists and retrieves" bash -c "curl -sS --fail 'pop3://127.0.0.1:$POP/1' -u 'alice@example.test:alice-pw' | grep -q 'Hello from curl.'"
check "curl pop3:// with a wrong password fails" bash -c "! curl -sS 'pop3://127.0.0.1:$POP/' -u 'alice@example.test:wrong'"
check "curl imap:// lists mailboxes" bash -c "curl -sS --fail 'imap://127.0.0.1:$IMAP/' -u 'alice@example.test:alice-pw' | grep -q 'Sent'"
check "curl imap:// fetches a message by UID" bash -c "curl -sS --fail 'imap://127.0.0.1:$IMAP/INBOX;UID=1' -u 'alice@example.test:alice-pw' | grep -q 'Hello from curl.'"
check "curl imap:// searches" bash -c "curl -sS --fail 'imap://127.0.0.1:$IMAP/INBOX' -u 'alice@example.test:alice-pw' -X 'SEARCH SUBJECT \"via curl\"' | grep -qE '^\* (E)?SEARCH'"
check "curl imap:// with a wrong password fails" bash -c "! curl -sS 'imap://127.0.0.1:$IMAP/' -u 'alice@example.test:wrong'"
check "curl submission with STARTTLS and AUTH" curl -sS --fail --ssl-reqd --insecure "smtp://127.0.0.1:$SUB" \
  -u 'bob@example.test:bob-pw' --mail-from bob@example.test --mail-rcpt alice@example.test --upload-file "$work/msg.eml"

# Python clients: smtplib, poplib, imaplib, bad input (each prints unittest's counts)
for py in test_mail.py test_imap.py; do
  if python3 "$root/tests/integration/$py" >"$work/py" 2>&1; then py_ok=1; else py_ok=0; fi
  cat "$work/py"
  py_ran=$(grep -oE '^Ran [0-9]+' "$work/py" | grep -oE '[0-9]+' || echo 0)
  py_failed=0
  if [ "$py_ok" = 0 ]; then
    py_failed=$(grep -oE '(failures|errors)=[0-9]+' "$work/py" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
    [ "$py_failed" -gt 0 ] || py_failed=1 # crashed before unittest could count
  fi
  [ "$py_ran" -ge "$py_failed" ] && passed=$((passed+py_ran-py_failed)); failed=$((failed+py_failed))
done

# --- graceful stop and restart ---------------------------------------------------------------
before=$("$quill" user list --data "$data" | grep '^alice@example.test' | grep -oE 'messages=[0-9]+')
# An imaplib session logged in and an SMTP session after EHLO, both idle: at SIGTERM each hears goodbye at
# once (not when the grace period ends) so that its client can reconnect elsewhere.
python3 - "$IMAP" "$SMTP" >"$work/goodbye" 2>&1 <<'PY' &
import imaplib, socket, sys
imap = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
imap.login("alice@example.test", "alice-pw")
smtp = socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=60)
replies = smtp.makefile("rb")
replies.readline()
smtp.sendall(b"EHLO client.test\r\n")
while replies.readline()[3:4] != b" ":
    pass
print("ready", flush=True)
imap.sock.settimeout(60)
print("imap:", imap.readline().decode().strip(), flush=True)
print("smtp:", replies.readline().decode().strip(), flush=True)
PY
goodbye_pid=$!
for i in $(seq 1 100); do grep -q ready "$work/goodbye" && break; sleep 0.1; done
kill -TERM "$node_pid"
wait "$goodbye_pid" 2>/dev/null
check "SIGTERM: an idle IMAP session hears BYE" grep -q '^imap: \* BYE' "$work/goodbye"
check "SIGTERM: an idle SMTP session hears 421" grep -q '^smtp: 421 4.3.2' "$work/goodbye"
check "SIGTERM stops the node" bash -c "for i in \$(seq 1 150); do kill -0 $node_pid 2>/dev/null || exit 0; sleep 0.2; done; exit 1"
check "the admin endpoint is removed at stop" test ! -f "$data/admin.json"
node_pid=""
start_node || { failed=$((failed+1)); }
after=$("$quill" user list --data "$data" | grep '^alice@example.test' | grep -oE 'messages=[0-9]+')
check "a restart finds every message ($before)" test "$before" = "$after" -a -n "$before"
kill -TERM "$node_pid"; wait "$node_pid" 2>/dev/null; node_pid=""

echo
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
