#!/usr/bin/env bash
# run-catch-up.sh: how long a node that was down while MISSED (100,000) messages were delivered takes to catch
# up when it returns, and whether the cluster goes on serving meanwhile (issue 5: within 60 s).
#
# Three clustered nodes n1-n3 on 127.0.0.1 keeping two copies of every message (the default), BENCH_USERS
# (1,000) users added through n1 and n2 (each profile is kept on two nodes, so the users keep their service while
# n3 is down). BEFORE (20,000) messages are delivered through all three, so every node holds copies; n3 is
# SIGKILLed; MISSED messages are delivered through n1 and n2, every one durable on both; n3 is restarted on its
# data, and the time from its start to its log's `event=catch-up-done` line (the end of its whole catch-up:
# every fragment it holds compared with the other copies) is the figure. DURING (5,000) messages are delivered
# through n1 and n2 while n3 catches up; their RESULT line shows the cluster serving meanwhile.
#
# In this design a node that was down receives no copies of the messages delivered meanwhile: those were stored
# on R live nodes when they arrived. Its catch-up compares the fragments it holds with the other copies
# (listing theirs, which now include the missed messages, and their expunge logs) and applies what it missed.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
source "$here/lib-peer.sh"
source "$here/lib-quill.sh"
source "$here/lib-cluster.sh"

BEFORE=${BEFORE:-20000}
MISSED=${MISSED:-100000}
DURING=${DURING:-5000}
SESSIONS=${SESSIONS:-32}
SIZE=${SIZE:-4096}
NODES=3
load=(--concurrency "$SESSIONS" --size "$SIZE" --users "$BENCH_USERS" --domain "$BENCH_DOMAIN"
  --user-prefix "$BENCH_PREFIX")
nodes_trap
machine_facts | sed 's/^/# /' >&2
nodes_build

seeds=""
targets=""
for ((i = 0; i < NODES; i++)); do
  node_start "$i" "n$((i + 1))" "$seeds"
  seeds+="${seeds:+,}127.0.0.1:$(node_cluster_port "$i")"
  targets+="${targets:+,}127.0.0.1:$(node_smtp_port "$i")"
done
nodes_await_members "$NODES"
domain_add_everywhere
# Profiles on n1 and n2 only (user i on node (i-1) mod 2): n3 holds copies of messages, no profiles, so while it
# is down every delivery can still be made durable twice and none is refused.
pids=()
for ((i = 0; i < 2; i++)); do
  users_import "$i" "$BENCH_PREFIX" $((i + 1)) "$BENCH_USERS" 2 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || die "adding users failed"; done
two="127.0.0.1:$(node_smtp_port 0),127.0.0.1:$(node_smtp_port 1)"

log "$BEFORE messages through all three nodes"
before=$(bench_result smtp --target "$targets" --messages "$BEFORE" "${load[@]}")
[ "$(result_field "$before" errors)" = 0 ] || die "delivery before the kill had errors: $before"

log "SIGKILL n3 (pid ${NODE_PIDS[2]}), then $MISSED messages through n1 and n2"
kill -9 "${NODE_PIDS[2]}"
wait "${NODE_PIDS[2]}" 2>/dev/null || true
unset 'NODE_PIDS[2]' # down: not asked for its view; the restart below sets it again
nodes_await_members 2
missed=$(bench_result smtp --target "$two" --messages "$MISSED" "${load[@]}")
[ "$(result_field "$missed" errors)" = 0 ] || die "delivery while n3 was down had errors: $missed"

log "restart n3 on its data; $DURING messages through n1 and n2 while it catches up"
marker=$(wc -l <"${NODE_DATA[2]}.log")
start_ns=$(date +%s%N)
RESTART_DATA=${NODE_DATA[2]} node_start 2 n3 "127.0.0.1:$(node_cluster_port 0),127.0.0.1:$(node_cluster_port 1)"
during=$(bench_result smtp --target "$two" --messages "$DURING" --allow-errors "${load[@]}")
done_line=""
for ((t = 0; t < 600; t++)); do
  done_line=$(tail -n +"$((marker + 1))" "${NODE_DATA[2]}.log" | grep -m1 'event=catch-up-done node=n3' || true)
  [ -n "$done_line" ] && break
  sleep 0.2
done
[ -n "$done_line" ] || die "n3 did not finish its catch-up within 120 s"
stamp=$(sed 's/ .*//' <<<"$done_line")
done_ns=$(date -d "$stamp" +%s%N)

echo
echo "== catch-up of a node that missed $MISSED messages: 3 nodes, 2 copies, $BENCH_USERS users, $(nproc) cores"
machine_facts
echo "before: $before"
echo "missed: $missed"
echo "during: $during"
echo "n3:     $done_line"
awk -v s="$start_ns" -v d="$done_ns" 'BEGIN { printf "CATCHUP seconds=%.1f (from the restart command to catch-up-done; target < 60)\n", (d - s) / 1e9 }'
