#!/usr/bin/env bash
# run-cluster-pop3.sh: POP3 retrieval from one standalone node and from a cluster of three JVMs, in one run on this
# machine, with the workload of run-pop3-comparison.sh: BENCH_USERS (1,000) mailboxes of MESSAGES_PER_BOX (10)
# messages of SIZE (4,096) bytes, delivered over SMTP; then CLIENTS (9) POP3 clients for DURATION (30) s, each
# session logging in to a random mailbox and retrieving all its messages without deleting them. Before the
# measured run every node gets a pass that opens every mailbox once (warm credential caches, as in the
# single-node comparison). For the cluster, users are created a third on each node (profiles and INBOXes spread)
# and the clients split evenly over the three POP3 ports (one load generator per node, rates summed): a login
# there also takes the user's maildrop lock at its manager, and a RETR reads through the node holding the message.
# SKIP_SINGLE=1 / SKIP_CLUSTER=1 skip a side; REPLICAS (default: the nodes' own, 2) sets the cluster's copies.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
source "$here/lib-peer.sh"
source "$here/lib-quill.sh"
source "$here/lib-cluster.sh"

MESSAGES_PER_BOX=${MESSAGES_PER_BOX:-10}
SIZE=${SIZE:-4096}
CLIENTS=${CLIENTS:-9}
DURATION=${DURATION:-30}
NODES=3
common=(--users "$BENCH_USERS" --domain "$BENCH_DOMAIN" --user-prefix "$BENCH_PREFIX" --password "$BENCH_PASSWORD")
nodes_trap
machine_facts | sed 's/^/# /' >&2
nodes_build

pop3_port() { echo $((2110 + PORT_STEP * $1)); }

# populate TARGETS: BENCH_USERS x MESSAGES_PER_BOX messages over SMTP, recipients in turn.
populate() {
  bench smtp --target "$1" --messages $((BENCH_USERS * MESSAGES_PER_BOX)) --size "$SIZE" --concurrency 32 \
    --users "$BENCH_USERS" --domain "$BENCH_DOMAIN" --user-prefix "$BENCH_PREFIX" --sequential-rcpt \
    | grep '^RESULT' | sed 's/^/populate: /' >&2
}

# measure COUNT: COUNT load generators in parallel, one per node 0..COUNT-1, CLIENTS split among them; prints
# each RESULT line and the summed rate.
measure() {
  local count=$1 each=$((CLIENTS / $1)) i out=() pids=()
  for ((i = 0; i < count; i++)); do
    bench pop3 --port "$(pop3_port "$i")" "${common[@]}" --concurrency "$each" --pick sequential \
      --rounds $(((BENCH_USERS + each - 1) / each)) | grep '^RESULT' | sed "s/^/warm-up node $i: /" >&2
  done
  for ((i = 0; i < count; i++)); do
    out[i]=$(mktemp)
    printf '+ %s bench pop3 --port %s %s --concurrency %s --duration %s\n' "$QUILL" "$(pop3_port "$i")" \
      "${common[*]}" "$each" "$DURATION" >&2
    bench_result pop3 --port "$(pop3_port "$i")" "${common[@]}" --concurrency "$each" --duration "$DURATION" \
      >"${out[i]}" &
    pids+=($!)
  done
  local cpu_before cpu_after
  cpu_before=$(host_busy_ms)
  for p in "${pids[@]}"; do wait "$p" || die "a POP3 load generator failed"; done
  cpu_after=$(host_busy_ms)
  local total=0 msgs=0 line
  for ((i = 0; i < count; i++)); do
    line=$(cat "${out[i]}")
    rm -f "${out[i]}"
    echo "$line"
    total=$(awk -v a="$total" -v b="$(result_field "$line" rate)" 'BEGIN { printf "%.1f", a + b }')
    msgs=$((msgs + $(result_field "$line" msgs)))
  done
  # the whole machine's busy CPU over the measured run (servers and load generators, their start included),
  # per message retrieved: it wanders less between runs than the rate does
  echo "TOTAL rate=$total host_cpu_ms_per_msg=$(awk -v c=$((cpu_after - cpu_before)) -v m="$msgs" \
    'BEGIN { printf "%.3f", m ? c / m : 0 }')"
}

# host_busy_ms: the machine's CPU time so far (ms, all CPUs) spent on anything but idle and I/O wait (/proc/stat)
host_busy_ms() {
  awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8 + $9; print busy * 10; exit }' /proc/stat
}

single=""
if [ -z "${SKIP_SINGLE:-}" ]; then
  log "one standalone node"
  node_start 0 standalone
  domain_add_everywhere
  users_import 0 "$BENCH_PREFIX" 1 "$BENCH_USERS"
  populate "127.0.0.1:$(node_smtp_port 0)"
  single=$(measure 1)
  nodes_stop_all
fi

cluster=""
if [ -z "${SKIP_CLUSTER:-}" ]; then
  log "a cluster of $NODES nodes"
  seeds=""
  targets=""
  for ((i = 0; i < NODES; i++)); do
    node_start "$i" "n$((i + 1))" "$seeds"
    seeds+="${seeds:+,}127.0.0.1:$(node_cluster_port "$i")"
    targets+="${targets:+,}127.0.0.1:$(node_smtp_port "$i")"
  done
  nodes_await_members "$NODES"
  domain_add_everywhere
  pids=()
  for ((i = 0; i < NODES; i++)); do
    users_import "$i" "$BENCH_PREFIX" $((i + 1)) "$BENCH_USERS" "$NODES" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || die "adding users failed"; done
  populate "$targets"
  cluster=$(measure "$NODES")
  nodes_stop_all
fi

echo
echo "== POP3 retrieval: $CLIENTS clients, $BENCH_USERS mailboxes x $MESSAGES_PER_BOX x $SIZE B, ${DURATION}s, $(nproc) cores"
[ -z "$single" ] || printf 'single:\n%s\n' "$single"
[ -z "$cluster" ] || printf 'cluster:\n%s\n' "$cluster"
