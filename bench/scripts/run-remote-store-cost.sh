#!/usr/bin/env bash
# run-remote-store-cost.sh: the CPU a cluster spends per message when the accepting node stores it in its own
# store (local) vs when it hands it to another node (remote); issue 4's target: remote <= 1.3x local.
#
# Two JVMs on 127.0.0.1, A (n1, SMTP 2525, cluster port 7800) and B (n2, SMTP 3525, joins A), both with
# `[cluster] spread = 1`, `replicas = 1` and `profile_replicas = 1` in a config file, so a mailbox's mail stays on
# the one node that holds it (with two profile copies, the default, both nodes would hold every INBOX). GROUP_USERS
# (1,000) users local1..N@BENCH_DOMAIN are added through A's admin channel (profile and INBOX on A), as many
# remote1..N through B's (on B). Every message below is sent to A's SMTP port; only the recipients differ:
#   warm-up: WARMUP (10,000) messages to each group, so both JVMs have compiled their hot paths;
#   then ROUNDS (1) times: MESSAGES (20,000) to the local group, then MESSAGES to the remote group.
# Around each measured phase the script reads utime + stime of both JVMs (/proc/PID/stat) and the message counts
# of both stores (`quill cluster status`: messages in the mailboxes of the users whose profile the node holds).
# Local cost = CPU seconds of A + B per delivered message in the local phases; remote cost the same for the
# remote phases. The run fails unless each local phase's messages all landed in A's store and each remote
# phase's in B's. The load generator's own CPU is not counted (it is a third JVM). Same load as the other SMTP
# runs: SESSIONS (32) sessions, SIZE (4,096) bytes, recipients uniform over the group, no pipelining.
# KEEP_DATA=1 keeps the data directories and logs.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
source "$here/lib-peer.sh"
source "$here/lib-quill.sh"
source "$here/lib-cluster.sh"

GROUP_USERS=${GROUP_USERS:-1000}
MESSAGES=${MESSAGES:-20000}
WARMUP=${WARMUP:-10000}
ROUNDS=${ROUNDS:-1}
SESSIONS=${SESSIONS:-32}
SIZE=${SIZE:-4096}
A=0
B=1
hz=$(getconf CLK_TCK)
load=(--concurrency "$SESSIONS" --size "$SIZE" --users "$GROUP_USERS" --domain "$BENCH_DOMAIN" ${SMTP_EXTRA:-})
nodes_trap
machine_facts | sed 's/^/# /' >&2
nodes_build

config=$(mktemp /tmp/quill-bench-spread1.XXXXXX.toml)
trap 'nodes_stop_all; rm -f "$config"' EXIT
printf '[cluster]\nspread = 1\nreplicas = 1\nprofile_replicas = 1\n' >"$config"
log "config $config: $(tr '\n' ' ' <"$config")"
node_start "$A" n1 "" "$config"
node_start "$B" n2 "127.0.0.1:$(node_cluster_port "$A")" "$config"
nodes_await_members 2
domain_add_everywhere
users_import "$A" local 1 "$GROUP_USERS" &
pa=$!
users_import "$B" remote 1 "$GROUP_USERS" &
pb=$!
wait "$pa" && wait "$pb" || die "adding users failed"

smtp_a() {
  printf '+ %s bench smtp --port %s %s\n' "$QUILL" "$(node_smtp_port "$A")" "$*" >&2
  bench_result smtp --port "$(node_smtp_port "$A")" "$@"
}

for group in local remote; do
  r=$(smtp_a --messages "$WARMUP" --user-prefix "$group" "${load[@]}")
  log "warm-up to the $group group: $r"
done

declare -A cpu=([local]=0 [remote]=0) cpu_a=([local]=0 [remote]=0) cpu_b=([local]=0 [remote]=0)
declare -A msgs=([local]=0 [remote]=0) rates=([local]="" [remote]="")
for ((round = 1; round <= ROUNDS; round++)); do
  for group in local remote; do
    if [ "$group" = local ]; then home=$A; away=$B; else home=$B; away=$A; fi
    home_before=$(node_messages "$home")
    away_before=$(node_messages "$away")
    a0=$(node_cpu_ticks "$A")
    b0=$(node_cpu_ticks "$B")
    result=$(smtp_a --messages "$MESSAGES" --user-prefix "$group" "${load[@]}")
    a1=$(node_cpu_ticks "$A")
    b1=$(node_cpu_ticks "$B")
    [ -n "$result" ] || die "$group: the load generator printed no RESULT line"
    echo "round $round $group: $result"
    n=$(result_field "$result" msgs)
    errors=$(result_field "$result" errors)
    stored_home=$(( $(node_messages "$home") - home_before ))
    stored_away=$(( $(node_messages "$away") - away_before ))
    log "round $round $group: CPU A $(((a1 - a0) * 1000 / hz)) ms, B $(((b1 - b0) * 1000 / hz)) ms;"\
      "stored on ${NODE_NAMES[home]} $stored_home, on ${NODE_NAMES[away]} $stored_away"
    # Every accepted message of the phase must be in the store of the node holding the group's profiles.
    [ "$errors" = 0 ] || die "$group: $errors errors; the costs would not be comparable"
    [ "$stored_home" -eq "$n" ] && [ "$stored_away" -eq 0 ] \
      || die "$group: $n messages delivered, but ${NODE_NAMES[home]} stored $stored_home and ${NODE_NAMES[away]} $stored_away"
    cpu_a[$group]=$((cpu_a[$group] + a1 - a0))
    cpu_b[$group]=$((cpu_b[$group] + b1 - b0))
    cpu[$group]=$((cpu[$group] + a1 - a0 + b1 - b0))
    msgs[$group]=$((msgs[$group] + n))
    rates[$group]+="${rates[$group]:+,}$(result_field "$result" rate)"
  done
done

echo
echo "== CPU per delivered message, local vs remote store: $ROUNDS x $MESSAGES x $SIZE B per group to A,"\
  "$SESSIONS sessions, $GROUP_USERS users per group, spread 1, $(nproc) cores"
machine_facts
for group in local remote; do
  awk -v g="$group" -v a="${cpu_a[$group]}" -v b="${cpu_b[$group]}" -v n="${msgs[$group]}" -v hz="$hz" \
    -v rates="${rates[$group]}" 'BEGIN {
      printf "RESULT remote-store-cost group=%s msgs=%d cpu_a_s=%.2f cpu_b_s=%.2f cpu_ms_per_msg=%.3f rate=%s\n",
        g, n, a / hz, b / hz, (a + b) / hz * 1000 / n, rates
    }'
done
awk -v l="${cpu[local]}" -v r="${cpu[remote]}" -v nl="${msgs[local]}" -v nr="${msgs[remote]}" -v hz="$hz" 'BEGIN {
  lc = l / hz * 1000 / nl; rc = r / hz * 1000 / nr
  printf "RATIO remote/local cpu per message=%.2f (%.3f vs %.3f ms; target <= 1.30)\n", rc / lc, rc, lc
}'
