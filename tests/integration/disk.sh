#!/usr/bin/env bash
# Integration test of a really started node whose data directory is on a small tmpfs that fills up
# (test_disk.py, with Python's smtplib, imaplib and poplib): first below the free-space reserve
# (452 4.3.1 at MAIL), then full under RocksDB itself with no reserve (452 4.3.1 after DATA), each
# time with reads going on, writes resuming without a restart once space is back, and a SIGKILL and
# restart after which every acknowledged message is there. Mounting needs root: without it (or
# without mount) the test says it is skipped and passes.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
quill="$root/quill"
work="$(mktemp -d)"
disk="$work/disk"
data="$disk/data"
log="$work/node.log"
passed=0; failed=0
node_pid=""

cleanup() {
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then kill -9 "$node_pid" 2>/dev/null; wait "$node_pid" 2>/dev/null; fi
  if mountpoint -q "$disk" 2>/dev/null; then umount "$disk" 2>/dev/null || umount -l "$disk"; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$disk"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=192m tmpfs "$disk" 2>"$work/mount.err"; then
  echo "integration (disk): skipped: needs root and mount ($(cat "$work/mount.err" 2>/dev/null))"
  exit 0
fi

count() { # count PYTHON-OUTPUT-FILE: adds its ok/FAIL lines to the totals
  cat "$1"
  passed=$((passed + $(grep -c '^ok ' "$1")))
  failed=$((failed + $(grep -c '^FAIL ' "$1")))
}
check() { # check NAME COMMAND...: one named assertion
  local name="$1"; shift
  if "$@" >"$work/out" 2>&1; then passed=$((passed+1)); echo "ok   disk: $name"
  else failed=$((failed+1)); echo "FAIL disk: $name"; sed 's/^/     /' "$work/out" | head -20; fi
}

source "$root/tests/integration/ports.sh"
read -r SMTP POP IMAP < <(free_ports 3 | tr '\n' ' ')
export QUILL_SMTP=$SMTP QUILL_POP=$POP QUILL_IMAP=$IMAP QUILL_DISK="$disk" QUILL_ACKED="$work/acked.json"
printf '[store]\nmin_free_space = "32M"\n' > "$work/reserve.toml"
printf '[store]\nmin_free_space = 0\n' > "$work/no-reserve.toml"

start_node() { # start_node CONFIG
  "$quill" serve --config "$1" --data "$data" --hostname mx.example.test --smtp-port "$SMTP" --submission-port 0 \
    --pop3-port "$POP" --imap-port "$IMAP" >>"$log" 2>&1 &
  node_pid=$!
  for _ in $(seq 1 150); do
    if [ -f "$data/admin.json" ] && (exec 3<>"/dev/tcp/127.0.0.1/$IMAP") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "node did not start; log:"; cat "$log"; return 1
}
kill_node() { kill -9 "$node_pid"; wait "$node_pid" 2>/dev/null; node_pid=""; }
phase() { python3 "$root/tests/integration/test_disk.py" "$1" >"$work/py" 2>&1 || true; count "$work/py"; }

check "domain add (offline)" "$quill" domain add example.test --data "$data"
check "user add (offline)" bash -c "printf 'alice-pw\n' | '$quill' user add alice@example.test --data '$data'"

start_node "$work/reserve.toml" || { echo "integration (disk): 0 passed, 1 failed"; exit 1; }
phase reserve
kill_node
start_node "$work/no-reserve.toml" || failed=$((failed+1))
phase verify
phase engine
kill_node
start_node "$work/no-reserve.toml" || failed=$((failed+1))
phase verify
kill -TERM "$node_pid"; wait "$node_pid" 2>/dev/null; node_pid=""

# The log: one WARN entering each state, one INFO leaving it, no line per refused message.
check "one WARN when the disk went below the reserve" test "$(grep -c 'event=storage-low-space' "$log")" -eq 1
check "one WARN when the disk filled under the store" test "$(grep -c 'event=storage-full' "$log")" -eq 1
check "one INFO each time writes were accepted again" test "$(grep -c 'event=storage-ok' "$log")" -eq 2
check "no other WARN or ERROR from the node" bash -c "! grep -E ' (WARN|ERROR) ' '$log' | grep -v 'event=storage-'"

echo
echo "integration (disk): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
