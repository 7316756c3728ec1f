#!/usr/bin/env bash
# run-idle-memory.sh: heap a Quill node needs for CONNECTIONS (10,000) idle SMTP connections.
#
# Starts a fresh node (per-address and total SMTP connection limits raised above CONNECTIONS) with a 512 MB heap cap (JAVA_TOOL_OPTIONS=-Xmx512m, so exceeding it fails loudly), measures
# its heap after a full GC at rest, then opens the connections with `quill bench idle` (raising this shell's
# `ulimit -n` first), and while they are held (HOLD seconds, 60) forces a full GC and reads the heap again with
# `jcmd <pid> GC.heap_info`. Prints both figures and the idle client's RESULT line.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
source "$here/lib-peer.sh"
source "$here/lib-quill.sh"

CONNECTIONS=${CONNECTIONS:-10000}
HOLD=${HOLD:-60}
HEAP_CAP=${HEAP_CAP:-512m}
need=$((CONNECTIONS + 1000))
if [ "$(ulimit -n)" -lt "$need" ]; then
  ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
[ "$(ulimit -n)" -ge "$need" ] || die "ulimit -n is $(ulimit -n), need $need (hard limit $(ulimit -Hn)); raise it as root"

jcmd_bin="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/jcmd"
[ -x "$jcmd_bin" ] || jcmd_bin=/usr/lib/jvm/temurin-25-jdk-amd64/bin/jcmd

# heap_used_kb PID TAG: heap in use right after a full GC, from GC.heap_info's first line
# ("garbage-first heap   total reserved ...K, committed ...K, used ...K [...").
heap_used_kb() {
  "$jcmd_bin" "$1" GC.run >/dev/null
  sleep 1
  "$jcmd_bin" "$1" GC.heap_info | tee "$QUILL_DATA.heap-$2.txt" | sed -n 's/^garbage-first heap .* used \([0-9]*\)K.*/\1/p' | head -1
}

# The node's defaults allow 100 connections per client address (and 10,000 in all): one client address opens
# them all here, so both limits are raised for this run only.
config=$(mktemp /tmp/quill-bench-idle.XXXXXX.toml)
printf '[smtp]\nmax_connections = %d\nmax_connections_per_ip = %d\n' $((CONNECTIONS + 100)) $((CONNECTIONS + 100)) >"$config"

quill_build
quill_start "-Xmx$HEAP_CAP" "$config"
pid=$(quill_java_pid)
KEEP_DATA=1
rest_kb=$(heap_used_kb "$pid" rest)
log "heap at rest after full GC: $((rest_kb / 1024)) MB"

out=$(mktemp)
bench idle --port "$QUILL_SMTP_PORT" --connections "$CONNECTIONS" --hold "$HOLD" >"$out" 2>&1 &
client=$!
for ((i = 0; i < 600; i++)); do
  grep -q '^READY' "$out" && break
  kill -0 "$client" 2>/dev/null || break
  sleep 1
done
grep '^READY' "$out" >&2 || { cat "$out" >&2; die "the idle client did not get its connections open"; }
held_kb=$(heap_used_kb "$pid" held)
rss_kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
log "heap with $CONNECTIONS idle connections after full GC: $((held_kb / 1024)) MB (RSS $((rss_kb / 1024)) MB)"
wait "$client" || true
cat "$out"
KEEP_DATA=
quill_stop

echo
echo "RESULT idle-memory connections=$CONNECTIONS heap_rest_mb=$((rest_kb / 1024)) heap_held_mb=$((held_kb / 1024))" \
  "per_connection_kb=$(( (held_kb - rest_kb) / CONNECTIONS ))" "rss_held_mb=$((rss_kb / 1024)) heap_cap=$HEAP_CAP" \
  "alive=$(sed -n 's/^RESULT idle.* alive=\([0-9]*\).*/\1/p' "$out")"
rm -f "$out" "$config"
