#!/usr/bin/env bash
# run-cluster-comparison.sh: SMTP delivery on one standalone node vs a 3-node cluster, in one run on this machine
# (issue 4: the cluster should deliver at least 0.8x what one node does, the same hardware carrying both).
#
# (a) single: a fresh standalone node (./quill serve, no cluster port), BENCH_USERS (1,000) users added through
#     its admin channel with `quill user import`; the load sent to 127.0.0.1:2525.
# (b) cluster: three JVMs n1, n2, n3 on 127.0.0.1 (own data directories, SMTP 2525/3525/4525, cluster ports
#     7800-7802; n2 and n3 join n1), the same users added through the three admin channels in parallel
#     (user i on node (i-1) mod 3, so each node holds a third of the profiles and INBOXes); the load spread over
#     the three SMTP ports, connections round-robin (`quill bench smtp --target ...`). Cluster settings: spread 2
#     (the default), so a mailbox's new mail may go to a second node, and one copy per message (--replicas 1):
#     this side measures the cost of clustering, issue 4's target; replication is side (d).
# Both get the same `quill bench smtp` load as Quill gets in run-smtp-comparison.sh: MESSAGES (20,000) measured
# messages after WARMUP (150,000), SESSIONS (32) sessions, SIZE (4,096) bytes, recipients uniform over the users.
# The warm-up is long because the cluster's JVMs each see a third of it while their JIT compilers share the same
# two cores (after 20,000 the cluster's compiler threads still took ~40% of the CPU during the measurement), and
# the single node too keeps getting faster up to ~150,000 (about 9 minutes for the whole script).
# Afterwards each side's INBOXes are counted (`quill user list` on every node): every accepted message must be there.
# Prints the exact commands, the machine, both RESULT lines and RATIO cluster/single for rate and p99.
# (c) apart: the same three JVMs without a cluster (three standalone nodes, each holding all the users), the load
#     spread the same way: what three processes on these cores deliver before any cluster work, so that
#     cluster/apart is the cost of clustering itself and apart/single the cost of running three JVMs, not one.
# (d) replicated: the cluster of (b) with two copies of every message, both durable before the 250 (the default
#     replication, issue 5: at least 0.6x the rate of (b), p99 of the final reply under 100 ms at 32 sessions).
# (e) insecure: the cluster of (b) with the security layer off ([cluster] security = "off"): every other cluster
#     side runs with it on (the default: inter-node messages sealed with AES-256-GCM, principals verified, every
#     remote request checked against the policy), so cluster/insecure is the layer's cost (issue 6: at most 3%
#     lower throughput, at most 5% higher p99).
# STEADY=1: instead of a fixed WARMUP, each side is warmed in chunks of STEADY_CHUNK (20,000) messages until its
# nodes' JIT compilers take less than STEADY_JIT_PCT (3) percent of their CPU over a chunk (at most STEADY_MAX,
# 600,000), so that every side is measured with its code compiled; the measured run then warms only the load
# generator (STEADY_LOADGEN_WARMUP, 10,000). With a fixed warm-up the three JVMs of a cluster are still compiling
# (docs/BENCHMARKS.md, "the compiler and compaction under the ratio").
# SKIP_SINGLE=1 / SKIP_CLUSTER=1 / SKIP_APART=1 / SKIP_REPLICATED=1 / SKIP_INSECURE=1 skip a side; INSECURE_FIRST=1
# runs (e) before (b); KEEP_DATA=1 keeps the data
# directories and logs.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
source "$here/lib-peer.sh"
source "$here/lib-quill.sh"
source "$here/lib-cluster.sh"

MESSAGES=${MESSAGES:-20000}
WARMUP=${WARMUP:-150000}
if [ -n "${STEADY:-}" ]; then
  # the servers are warmed by warm_until_compiled; the measured run warms only the load generator's own JVM
  WARMUP=${STEADY_LOADGEN_WARMUP:-10000}
fi
SIDE_WARMED=0  # warm-up messages sent before the measured run's own (STEADY)
SESSIONS=${SESSIONS:-32}
SIZE=${SIZE:-4096}
NODES=3
args=(--messages "$MESSAGES" --warmup "$WARMUP" --concurrency "$SESSIONS" --size "$SIZE" --users "$BENCH_USERS"
  --domain "$BENCH_DOMAIN" --user-prefix "$BENCH_PREFIX" ${SMTP_EXTRA:-})
nodes_trap
machine_facts | sed 's/^/# /' >&2
nodes_build
single_result=""
cluster_result=""
apart_result=""

# check_stored EXPECTED LABEL [split|all]: the users' INBOXes together must hold EXPECTED messages (warm-up included); also
# logs how many each node stores for the users whose profile it holds (the rest went to other nodes: spread).
check_stored() {
  local want=$1 label=$2 how=${3:-split} total=0 i counts="" local_counts=""
  for i in "${!NODE_PIDS[@]}"; do
    # unclustered nodes each hold every user with mailboxes of their own: a user counts once per node there
    if [ "$how" = all ]; then
      counts+="$(inbox_counts "$i" | sed "s/^/$i:/")"$'\n'
    else
      counts+="$(inbox_counts "$i")"$'\n'
    fi
    local_counts+=" ${NODE_NAMES[i]}=$(node_messages "$i")"
  done
  # each user once in a cluster, though R nodes hold a copy of its profile
  total=$(printf '%s' "$counts" | awk 'NF == 2 && !seen[$1]++ { n += $2 } END { print n + 0 }')
  log "$label: $total messages in the users' INBOXes (accepted $want); stored on the profile's node:$local_counts"
  [ "$total" -eq "$want" ] || die "$label: $want messages were accepted but the INBOXes hold $total"
}

# accepted RESULT_LINE: warm-up plus measured messages of a run without errors.
accepted() {
  echo $((SIDE_WARMED + WARMUP + $(result_field "$1" msgs)))
}

# steady_warm_up LABEL BENCH_TARGET_ARGS...: with STEADY set, warms the nodes until their compilers are done.
steady_warm_up() {
  SIDE_WARMED=0
  if [ -n "${STEADY:-}" ]; then
    warm_until_compiled "$@"
    SIDE_WARMED=$WARMED
  fi
}

# spread_load LABEL TARGETS split|all: adds the domain and the users to the running nodes (split: user i on node
# (i-1) mod NODES; all: every user on every node), sends the load over TARGETS, checks that every accepted message
# is stored, and prints the RESULT line.
spread_load() {
  local label=$1 targets=$2 how=$3 i p result pids=()
  domain_add_everywhere
  for ((i = 0; i < NODES; i++)); do
    if [ "$how" = split ]; then
      users_import "$i" "$BENCH_PREFIX" $((i + 1)) "$BENCH_USERS" "$NODES" &
    else
      users_import "$i" "$BENCH_PREFIX" 1 "$BENCH_USERS" &
    fi
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || die "adding users failed"; done
  steady_warm_up "$label" --target "$targets" >&2
  printf '+ %s bench smtp --target %s %s\n' "$QUILL" "$targets" "${args[*]}" >&2
  result=$(bench_result smtp --target "$targets" "${args[@]}")
  [ -n "$result" ] || die "$label: the load generator printed no RESULT line"
  [ "$(result_field "$result" errors)" = 0 ] && check_stored "$(accepted "$result")" "$label" "$how" >&2
  echo "$result"
}

if [ -z "${SKIP_SINGLE:-}" ]; then
  log "(a) one standalone node"
  node_start 0 standalone
  domain_add_everywhere
  users_import 0 "$BENCH_PREFIX" 1 "$BENCH_USERS"
  steady_warm_up single --port "$(node_smtp_port 0)"
  printf '+ %s bench smtp --port %s %s\n' "$QUILL" "$(node_smtp_port 0)" "${args[*]}" >&2
  single_result=$(bench_result smtp --port "$(node_smtp_port 0)" "${args[@]}")
  [ -n "$single_result" ] || die "single: the load generator printed no RESULT line"
  [ "$(result_field "$single_result" errors)" = 0 ] && check_stored "$(accepted "$single_result")" single
  nodes_stop_all
fi

# start_cluster REPLICAS: starts NODES clustered nodes keeping REPLICAS copies of each message; sets targets.
start_cluster() {
  local seeds="" i
  targets=""
  REPLICAS=$1
  for ((i = 0; i < NODES; i++)); do
    node_start "$i" "n$((i + 1))" "$seeds"
    seeds+="${seeds:+,}127.0.0.1:$(node_cluster_port "$i")"
    targets+="${targets:+,}127.0.0.1:$(node_smtp_port "$i")"
  done
  unset REPLICAS
  nodes_await_members "$NODES"
}

replicated_result=""
side_cluster() {
  log "(b) a cluster of $NODES nodes, one copy per message"
  start_cluster 1
  cluster_result=$(spread_load cluster "$targets" split)
  nodes_stop_all
}

side_insecure() {
  log "(e) the cluster of (b) with the security layer off"
  SECURITY=off start_cluster 1
  insecure_result=$(spread_load insecure "$targets" split)
  nodes_stop_all
}

insecure_result=""
# INSECURE_FIRST=1 runs (e) before (b), so that repeated runs can alternate which side goes first.
[ -n "${INSECURE_FIRST:-}" ] && [ -z "${SKIP_INSECURE:-}" ] && side_insecure
[ -z "${SKIP_CLUSTER:-}" ] && side_cluster
[ -z "${INSECURE_FIRST:-}" ] && [ -z "${SKIP_INSECURE:-}" ] && side_insecure

if [ -z "${SKIP_REPLICATED:-}" ]; then
  log "(d) the same cluster, two copies per message"
  start_cluster 2
  replicated_result=$(spread_load replicated "$targets" split)
  nodes_stop_all
fi


if [ -z "${SKIP_APART:-}" ]; then
  log "(c) $NODES standalone nodes, not clustered, each holding every user"
  targets=""
  for ((i = 0; i < NODES; i++)); do
    node_start "$i" standalone
    targets+="${targets:+,}127.0.0.1:$(node_smtp_port "$i")"
  done
  apart_result=$(spread_load apart "$targets" all)
  nodes_stop_all
fi

echo
echo "== SMTP, one node vs $NODES-node cluster: $MESSAGES x $SIZE B after $WARMUP warm-up, $SESSIONS sessions,"\
  "$BENCH_USERS users, $(nproc) cores"
machine_facts
[ -n "$single_result" ] && echo "single:  $single_result"
[ -n "$cluster_result" ] && echo "cluster: $cluster_result"
[ -n "$apart_result" ] && echo "apart:   $apart_result"
[ -n "$replicated_result" ] && echo "replicated: $replicated_result"
[ -n "$insecure_result" ] && echo "insecure: $insecure_result"
if [ -n "$single_result" ] && [ -n "$cluster_result" ]; then
  awk -v s="$(result_field "$single_result" rate)" -v c="$(result_field "$cluster_result" rate)" \
    -v sp="$(result_field "$single_result" p99_ms)" -v cp="$(result_field "$cluster_result" p99_ms)" 'BEGIN {
      printf "RATIO smtp cluster/single=%.2f (%s vs %s msgs/s; target >= 0.80) p99 %s vs %s ms\n", c / s, c, s, cp, sp
    }'
fi
if [ -n "$apart_result" ] && [ -n "$cluster_result" ]; then
  awk -v a="$(result_field "$apart_result" rate)" -v c="$(result_field "$cluster_result" rate)" \
    -v s="$(result_field "${single_result:-rate=0}" rate)" 'BEGIN {
      printf "RATIO smtp cluster/apart=%.2f (%s vs %s msgs/s: the cost of clustering with the same JVM count)", c / a, c, a
      if (s > 0) printf " apart/single=%.2f (the cost of %s JVMs instead of one on these cores)", a / s, "'"$NODES"'"
      printf "\n"
    }'
fi
if [ -n "$replicated_result" ] && [ -n "$cluster_result" ]; then
  awk -v r="$(result_field "$replicated_result" rate)" -v c="$(result_field "$cluster_result" rate)" \
    -v rp="$(result_field "$replicated_result" p99_ms)" 'BEGIN {
      printf "RATIO smtp replicated/cluster=%.2f (R=2 %s vs R=1 %s msgs/s; target >= 0.60) R=2 p99 %s ms (target < 100)\n", r / c, r, c, rp
    }'
fi
if [ -n "$insecure_result" ] && [ -n "$cluster_result" ]; then
  awk -v i="$(result_field "$insecure_result" rate)" -v c="$(result_field "$cluster_result" rate)" \
    -v ip="$(result_field "$insecure_result" p99_ms)" -v cp="$(result_field "$cluster_result" p99_ms)" 'BEGIN {
      printf "RATIO smtp secure/insecure=%.2f (%s vs %s msgs/s; target >= 0.97) p99 %s vs %s ms (%.2f; target <= 1.05)\n", c / i, c, i, cp, ip, cp / ip
    }'
fi
