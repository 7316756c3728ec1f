#!/usr/bin/env bash
# run-security-comparison.sh: inter-node echo requests with the cluster security layer on and off (issue 6: at most
# 3% fewer requests a second, at most 5% higher p99), each mode in a JVM of its own.
#
# `quill bench security --modes on,off` measures both modes in one JVM, turn about; but the two pairs then share
# one JIT, and the "on" pair's transport (a subclass of JGroups' TCP) changes how the shared call sites compile,
# which slowed the "off" pair by up to 15% (docs/BENCHMARKS.md, "One seal per frame"). So this script starts one
# JVM per mode and size, off and on alternating, RUNS (2) times each: per JVM a WARMUP (5) s warm-up, then ROUNDS (4)
# turns of TURN_SECONDS (10) s with CALLERS (16) closed-loop callers, two in-process nodes on 127.0.0.1 with their own
# JGroups TCP transports. SIZES (1024,65536) are the request sizes. Prints every RESULT line, then per size the
# mean rate and p99 of each mode over its runs and RATIO on/off.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
source "$here/lib-peer.sh"
source "$here/lib-quill.sh"
source "$here/lib-cluster.sh"

RUNS=${RUNS:-2}
SIZES=${SIZES:-1024,65536}
TURN_SECONDS=${TURN_SECONDS:-10}
ROUNDS=${ROUNDS:-4}
WARMUP=${WARMUP:-5}
CALLERS=${CALLERS:-16}

machine_facts | sed 's/^/# /' >&2
quill_build
results=$(mktemp /tmp/quill-bench-security.XXXXXX)
trap 'rm -f "$results"' EXIT
IFS=, read -r -a sizes <<<"$SIZES"
for size in "${sizes[@]}"; do
  for run in $(seq 1 "$RUNS"); do
    for mode in off on; do
      cmd=("$QUILL" bench security --modes "$mode" --sizes "$size" --seconds "$TURN_SECONDS" --rounds "$ROUNDS"
        --warmup "$WARMUP" --callers "$CALLERS")
      log "run $run, $mode, $size bytes: ${cmd[*]}"
      "${cmd[@]}" 2>/dev/null | grep '^RESULT' | tee -a "$results"
    done
  done
done
for size in "${sizes[@]}"; do
  awk -v size="$size" '
    $0 ~ "size=" size " " {
      for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      rate[v["security"]] += v["rate"]; p99[v["security"]] += v["p99_ms"]; n[v["security"]]++
    }
    END {
      if (n["on"] == 0 || n["off"] == 0) { print "no results for size " size > "/dev/stderr"; exit 1 }
      on = rate["on"] / n["on"]; off = rate["off"] / n["off"]; pon = p99["on"] / n["on"]; poff = p99["off"] / n["off"]
      printf "RATIO security size=%s throughput on/off=%.3f (%.1f vs %.1f requests/s over %d runs; goal >= 0.97)", size, on / off, on, off, n["on"]
      printf " p99 on/off=%.3f (%.3f vs %.3f ms; goal <= 1.05)\n", pon / poff, pon, poff
    }' "$results"
done
