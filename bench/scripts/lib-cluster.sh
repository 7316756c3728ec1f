#!/usr/bin/env bash
# Helpers of the cluster benchmarks to run throw-away Quill nodes, standalone or clustered, all on 127.0.0.1;
# sourced, not run. Needs lib-peer.sh (log, die, wait_port, BENCH_*) and lib-quill.sh (QUILL, REPO_ROOT, bench)
# first. Every node started here is stopped, and its data directory removed (unless KEEP_DATA=1), by
# nodes_stop_all, which the sourcing script installs as its EXIT trap (nodes_trap).
#
# Node i (0, 1, 2, ...) listens on SMTP 2525+1000i, submission 2587+1000i, POP3 2110+1000i, IMAP 2143+1000i and,
# when clustered, on cluster port CLUSTER_PORT_BASE+i (7800+i; JGroups' failure detection takes that +100 too).

CLUSTER_PORT_BASE=${CLUSTER_PORT_BASE:-7800}
PORT_STEP=${PORT_STEP:-1000}
# The JDK every node and the load generator run on (the launcher takes JAVA_HOME first).
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

NODE_PIDS=()  # by node index: the JVM's pid (the launcher execs java)
NODE_DATA=()  # by node index: the data directory
NODE_NAMES=() # by node index: the node name (cluster) or "standalone"

# The run's cluster CA (./quill cluster init), made by the first clustered node_start; every clustered node gets a
# credential issued by it (./quill cluster add-node), as the security layer requires. SECURITY=off starts clustered
# nodes with the layer off instead ([cluster] security = "off"), to measure its cost.
CLUSTER_CA=""

node_smtp_port() { echo $((2525 + PORT_STEP * $1)); }
node_cluster_port() { echo $((CLUSTER_PORT_BASE + $1)); }

# run_logged CMD...: prints the command (the exact one, for the report) on stderr, then runs it.
run_logged() {
  printf '+ %s\n' "$*" >&2
  "$@"
}

# quill_admin ARGS...: a `./quill` administration command from the repository root.
quill_admin() {
  (cd "$REPO_ROOT" && "$QUILL" "$@")
}

# nodes_build: builds the server and bench jars before any node starts, so that parallel starts never race to
# build them (the launcher rebuilds when a source is newer than a jar).
nodes_build() {
  quill_build
  quill_admin --version >/dev/null || die "could not build quill.jar"
}

# node_start INDEX NAME [SEEDS [CONFIG]]: starts node INDEX on a fresh data directory in the background.
# NAME "standalone" starts a node without a cluster port; otherwise it is the node name, and SEEDS the
# comma-separated HOST:PORT list to join (empty: form a cluster). CONFIG is a TOML file or empty. With
# RESTART_DATA set, the node starts on that (existing) data directory instead: a restart. The log is appended to.
node_start() {
  local i=$1 name=$2 seeds=${3:-} config=${4:-} data
  data=${RESTART_DATA:-$(mktemp -d /tmp/quill-bench-node.XXXXXX)}
  local cmd=("$QUILL" serve --data "$data" --smtp-port $((2525 + PORT_STEP * i))
    --submission-port $((2587 + PORT_STEP * i)) --pop3-port $((2110 + PORT_STEP * i))
    --imap-port $((2143 + PORT_STEP * i)))
  [ -n "$config" ] && cmd+=(--config "$config")
  if [ "$name" != standalone ]; then
    if [ "${SECURITY:-on}" = off ]; then
      [ -z "$config" ] || die "SECURITY=off takes no CONFIG file (put security = \"off\" in its [cluster] section)"
      printf '[cluster]\nsecurity = "off"\n' >"$data.security.toml"
      cmd+=(--config "$data.security.toml")
    else
      if [ -z "$CLUSTER_CA" ]; then
        CLUSTER_CA=$(mktemp -d /tmp/quill-bench-ca.XXXXXX)
        rmdir "$CLUSTER_CA"
        quill_admin cluster init --dir "$CLUSTER_CA" >/dev/null || die "cluster init failed"
      fi
      [ -f "$data.cred" ] || quill_admin cluster add-node "$name" --ca "$CLUSTER_CA" --out "$data.cred" >/dev/null \
        || die "cluster add-node $name failed"
      cmd+=(--cluster-credentials "$data.cred")
    fi
    cmd+=(--node-name "$name" --cluster-port "$(node_cluster_port "$i")" --cluster-bind 127.0.0.1)
    [ -n "$seeds" ] && cmd+=(--join "$seeds")
    # copies per message (--replicas); unset: the node's default (2)
    [ -n "${REPLICAS:-}" ] && cmd+=(--replicas "$REPLICAS")
  fi
  printf '+ %s  >%s.log 2>&1 &\n' "${cmd[*]}" "$data" >&2
  (cd "$REPO_ROOT" && exec "${cmd[@]}" </dev/null >>"$data.log" 2>&1) &
  NODE_PIDS[i]=$!
  NODE_DATA[i]=$data
  NODE_NAMES[i]=$name
  wait_port "$(node_smtp_port "$i")" 120 || { tail -20 "$data.log" >&2; die "node $name did not listen on SMTP $(node_smtp_port "$i")"; }
}

# nodes_await_members COUNT: waits (up to 60 s) until every clustered node started here reports COUNT members.
nodes_await_members() {
  local want=$1 i t
  for i in "${!NODE_PIDS[@]}"; do
    [ "${NODE_NAMES[i]}" = standalone ] && continue
    for ((t = 0; t < 120; t++)); do
      quill_admin cluster status --data "${NODE_DATA[i]}" 2>/dev/null | head -1 | grep -q ", $want members," && break
      sleep 0.5
    done
    ((t < 120)) || { quill_admin cluster status --data "${NODE_DATA[i]}" >&2 || true; die "${NODE_NAMES[i]} does not see $want members"; }
  done
}

# node_messages INDEX: messages node INDEX's own store holds in the mailboxes of the users whose profile is there
# (MESSAGES of its `cluster status` row; fragments of other nodes' users stored there are not counted).
node_messages() {
  local i=$1 name=${NODE_NAMES[$1]}
  quill_admin cluster status --data "${NODE_DATA[i]}" | awk -v node="$name" '
    $1 == "NODE" { header = 1; next }
    header && ($1 == node || node == "standalone") {
      c = ($2 == "*") ? 3 : 2          # the coordinator row has " *" after its name
      print $(c + 6); exit
    }'
}

# inbox_counts INDEX: "address messages" for each user whose profile (or a copy of it) is on node INDEX, the
# messages counted wherever the cluster stored them (`quill user list`'s messages=, which gathers every fragment).
# With R copies of each profile a user is listed by R nodes: count each user once (see check_stored).
inbox_counts() {
  quill_admin user list --data "${NODE_DATA[$1]}" | sed -n 's/^\([^\t]*\)\tmessages=\([0-9]*\).*/\1 \2/p'
}

# node_cpu_ticks INDEX: user + system CPU time of node INDEX's JVM so far, in clock ticks (/proc/PID/stat).
node_cpu_ticks() {
  # Fields after the ")" that ends the command name: state is field 3, so utime and stime are 14 and 15.
  sed 's/^.*) //' "/proc/${NODE_PIDS[$1]}/stat" | awk '{ print $12 + $13 }'
}

# jit_and_all_ticks: "JIT TOTAL" CPU clock ticks so far of every running node's JVM: its JIT compiler threads
# (C1/C2 CompilerThread), and all its threads.
jit_and_all_ticks() {
  local files=() i
  for i in "${!NODE_PIDS[@]}"; do files+=(/proc/"${NODE_PIDS[$i]}"/task/*/stat); done
  # comm is between the first "(" and the ") " before the state; utime and stime are the 12th and 13th fields after it
  awk '{ lp = index($0, "("); rp = index($0, ") "); comm = substr($0, lp + 1, rp - lp - 1)
         split(substr($0, rp + 2), f, " "); t = f[12] + f[13]; all += t
         if (comm ~ /^C[12] CompilerThre/) jit += t }
       END { print jit + 0, all + 0 }' "${files[@]}" 2>/dev/null
}

# warm_until_compiled LABEL BENCH_TARGET_ARGS...: sends warm-up load in chunks of STEADY_CHUNK (20,000) messages
# until the nodes' JIT compilers used less than STEADY_JIT_PCT (3) percent of the nodes' CPU during a chunk, or
# STEADY_MAX (600,000) messages were sent; sets WARMED to the messages sent. Steady code on every side, however
# many JVMs share the cores (three JVMs each compile the same hot code, on cores the others keep busy).
warm_until_compiled() {
  local label=$1 chunk=${STEADY_CHUNK:-20000} limit=${STEADY_MAX:-600000} pct=${STEADY_JIT_PCT:-3}
  shift
  local before after jit all share result
  WARMED=0
  while [ "$WARMED" -lt "$limit" ]; do
    before=$(jit_and_all_ticks)
    result=$(bench_result smtp "$@" --messages "$chunk" --warmup 0 --concurrency "$SESSIONS" --size "$SIZE" \
      --users "$BENCH_USERS" --domain "$BENCH_DOMAIN" --user-prefix "$BENCH_PREFIX" 2>/dev/null)
    [ "$(result_field "$result" errors)" = 0 ] || die "$label: warm-up chunk had errors: $result"
    WARMED=$((WARMED + chunk))
    after=$(jit_and_all_ticks)
    jit=$(( ${after% *} - ${before% *} )); all=$(( ${after#* } - ${before#* } ))
    share=$(( all > 0 ? 100 * jit / all : 0 ))
    log "$label: warm-up $WARMED messages, JIT compilers ${share}% of the nodes' CPU in the last chunk ($(result_field "$result" rate) msgs/s)"
    [ "$share" -lt "$pct" ] && return 0
  done
  log "$label: the JIT compilers were still busy after $WARMED warm-up messages (STEADY_MAX)"
}

# users_import INDEX PREFIX FIRST LAST [STEP]: adds PREFIX<n>@BENCH_DOMAIN for n = FIRST, FIRST+STEP, ... LAST
# through node INDEX's admin channel (so their profiles live on that node), password BENCH_PASSWORD.
users_import() {
  local i=$1 prefix=$2 first=$3 last=$4 step=${5:-1}
  printf '+ seq %s %s %s | sed "s/.*/%s&@%s %s/" | %s user import --data %s\n' "$first" "$step" "$last" "$prefix" \
    "$BENCH_DOMAIN" "$BENCH_PASSWORD" "$QUILL" "${NODE_DATA[i]}" >&2
  seq "$first" "$step" "$last" | sed "s/.*/$prefix&@$BENCH_DOMAIN $BENCH_PASSWORD/" \
    | quill_admin user import --data "${NODE_DATA[i]}" >/dev/null
}

# domain_add_everywhere: adds BENCH_DOMAIN on every node started here. A clustered node also sends it to the
# others, but asynchronously; adding it everywhere (idempotent) means no user import can race ahead of it.
domain_add_everywhere() {
  local i
  for i in "${!NODE_PIDS[@]}"; do
    quill_admin domain add "$BENCH_DOMAIN" --data "${NODE_DATA[i]}" >/dev/null || die "domain add on ${NODE_NAMES[i]} failed"
  done
}

# nodes_stop_all: stops every node started here (SIGTERM, then waits), removes their data unless KEEP_DATA=1.
nodes_stop_all() {
  local i
  for i in "${!NODE_PIDS[@]}"; do
    if kill -0 "${NODE_PIDS[i]}" 2>/dev/null; then
      kill "${NODE_PIDS[i]}" 2>/dev/null || true
    fi
  done
  for i in "${!NODE_PIDS[@]}"; do
    wait "${NODE_PIDS[i]}" 2>/dev/null || true
    if [ -z "${KEEP_DATA:-}" ]; then
      rm -rf "${NODE_DATA[i]}" "${NODE_DATA[i]}.log" "${NODE_DATA[i]}.cred" "${NODE_DATA[i]}.security.toml"
    else
      log "kept ${NODE_NAMES[i]}'s data in ${NODE_DATA[i]} (log ${NODE_DATA[i]}.log)"
    fi
  done
  NODE_PIDS=()
  NODE_DATA=()
  NODE_NAMES=()
}

# nodes_trap: stop every node this script started, however it exits.
nodes_trap() {
  trap 'nodes_stop_all; [ -z "$CLUSTER_CA" ] || rm -rf "$CLUSTER_CA"' EXIT
  trap 'exit 130' INT TERM
}

# machine_facts: what the figures were measured on, one fact per line.
machine_facts() {
  echo "machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)),"\
    "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) memory, kernel $(uname -r),"\
    "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
  echo "jdk: $JAVA_HOME ($("$JAVA_HOME/bin/java" -version 2>&1 | head -1))"
  echo "quill: $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO_ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with local changes)')"
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
}
