#!/usr/bin/env bash
# Integration tests against a three-node cluster of really started nodes: users and domains through
# any node's admin channel, curl's smtp:// pop3:// imap:// and Python's clients (test_cluster.py)
# on different nodes, SIGKILL of a node and its return.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
quill="$root/quill"
work="$(mktemp -d)"
passed=0; failed=0
declare -A pid

cleanup() {
  for n in "${!pid[@]}"; do kill -9 "${pid[$n]}" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

check() { # check NAME COMMAND...: one named assertion
  local name="$1"; shift
  if "$@" >"$work/out" 2>&1; then passed=$((passed+1)); echo "ok   cluster: $name"
  else failed=$((failed+1)); echo "FAIL cluster: $name"; sed 's/^/     /' "$work/out" | head -20; fi
}

source "$root/tests/integration/ports.sh"
declare -A cport smtp pop imap metrics
mapfile -t ports < <(free_ports 15)
for i in 0 1 2; do
  n="n$((i + 1))"
  cport[$n]=${ports[4*i]}; smtp[$n]=${ports[4*i+1]}; pop[$n]=${ports[4*i+2]}; imap[$n]=${ports[4*i+3]}
  metrics[$n]=${ports[12+i]}
  printf '[metrics]\nport = %s\n' "${metrics[$n]}" > "$work/$n.toml"
  export "QUILL_${n^^}_SMTP=${smtp[$n]}" "QUILL_${n^^}_POP=${pop[$n]}" "QUILL_${n^^}_IMAP=${imap[$n]}"
done

# The cluster's CA and each node's credential, as an operator makes them (the security layer is on).
"$quill" cluster init --dir "$work/ca" >/dev/null
for n in n1 n2 n3; do "$quill" cluster add-node "$n" --ca "$work/ca" --out "$work/$n.credential" >/dev/null; done

start() { # start NODE [SEEDS]
  local n="$1" seeds="${2:-}"
  local args=(serve --config "$work/$n.toml" --data "$work/$n" --node-name "$n" --cluster-port "${cport[$n]}" --cluster-bind 127.0.0.1
    --cluster-name "itest-$$" --smtp-port "${smtp[$n]}" --submission-port 0 --pop3-port "${pop[$n]}"
    --imap-port "${imap[$n]}" --cluster-credentials "$work/$n.credential")
  [ -n "$seeds" ] && args+=(--join "$seeds")
  "$quill" "${args[@]}" >>"$work/$n.log" 2>&1 &
  pid[$n]=$!
  for _ in $(seq 1 150); do
    if [ -f "$work/$n/admin.json" ] && (exec 3<>"/dev/tcp/127.0.0.1/${imap[$n]}") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "$n did not start; log:"; cat "$work/$n.log"; return 1
}
members() { "$quill" cluster status --json --data "$work/$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["nodes"]))'; }
await_members() { # await_members NODE COUNT
  for _ in $(seq 1 100); do [ "$(members "$1" 2>/dev/null)" = "$2" ] && return 0; sleep 0.3; done; return 1
}

start n1 || { echo "integration (cluster): 0 passed, 1 failed"; exit 1; }
start n2 "127.0.0.1:${cport[n1]}" && start n3 "127.0.0.1:${cport[n1]},127.0.0.1:${cport[n2]}" \
  || { echo "integration (cluster): 0 passed, 1 failed"; exit 1; }
check "three members in every node's view" bash -c "$(declare -f members await_members); quill='$quill' work='$work'; await_members n1 3 && await_members n2 3 && await_members n3 3"
check "curl reads n2's metrics page: frames sealed and opened under the layer, no tag failures" bash -c "page=\$(curl -sS --fail 'http://127.0.0.1:${metrics[n2]}/metrics') && echo \"\$page\" | grep -q '^quill_node_info{node=\"n2\",mode=\"cluster\"} 1\$' && echo \"\$page\" | grep -qE '^quill_cluster_frames_sealed_total [1-9][0-9]*\$' && echo \"\$page\" | grep -qE '^quill_cluster_frames_opened_total [1-9][0-9]*\$' && echo \"\$page\" | grep -q '^quill_cluster_dropped_total{reason=\"bad_tag\"} 0\$'"
check "the metrics page refuses other paths and methods" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' 'http://127.0.0.1:${metrics[n1]}/admin')\" = 404 ] && [ \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST 'http://127.0.0.1:${metrics[n1]}/metrics')\" = 405 ]"
check "domain added on n1 reaches n3" bash -c "'$quill' domain add example.test --data '$work/n1' && for i in \$(seq 1 50); do '$quill' domain list --data '$work/n3' 2>/dev/null | grep -q example.test && exit 0; sleep 0.2; done; exit 1"
check "user created on n2" bash -c "printf 'carol-pw\n' | '$quill' user add carol@example.test --data '$work/n2'"
check "user created on n3" bash -c "printf 'dave-pw\n' | '$quill' user add dave@example.test --data '$work/n3'"
check "the same user cannot be created on another node" bash -c "! printf 'x\n' | '$quill' user add carol@example.test --data '$work/n1'"
check "alias added on n3 for a user on n2" "$quill" alias add info@example.test carol@example.test --data "$work/n3"

printf 'From: curl <curl@example.org>\r\nTo: info@example.test\r\nSubject: via curl to n1\r\n\r\nHello from curl through n1.\r\n' > "$work/msg.eml"
check "curl smtp:// on n1 delivers to an alias whose user is on n2" curl -sS --fail "smtp://127.0.0.1:${smtp[n1]}" \
  --mail-from curl@example.org --mail-rcpt info@example.test --upload-file "$work/msg.eml"
check "curl pop3:// on n3 retrieves it" bash -c "curl -sS --fail 'pop3://127.0.0.1:${pop[n3]}/1' -u 'carol@example.test:carol-pw' | grep -q 'Hello from curl through n1.'"
check "curl imap:// on n1 fetches it" bash -c "curl -sS --fail 'imap://127.0.0.1:${imap[n1]}/INBOX;UID=1' -u 'carol@example.test:carol-pw' | grep -q 'Hello from curl through n1.'"

if python3 "$root/tests/integration/test_cluster.py" >"$work/py" 2>&1; then py_ok=1; else py_ok=0; fi
cat "$work/py"
py_ran=$(grep -oE '^Ran [0-9]+' "$work/py" | grep -oE '[0-9]+' || echo 0)
py_failed=0
if [ "$py_ok" = 0 ]; then
  py_failed=$(grep -oE '(failures|errors)=[0-9]+' "$work/py" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
  [ "$py_failed" -gt 0 ] || py_failed=1
fi
[ "$py_ran" -ge "$py_failed" ] && passed=$((passed+py_ran-py_failed)); failed=$((failed+py_failed))

# SIGKILL n3, where dave was created: his profile has a second copy (R = 2), so his mail and logins go on,
# like carol's; then n3 returns.
kill -9 "${pid[n3]}"; unset 'pid[n3]'
check "n3 leaves the others' view after SIGKILL" bash -c "$(declare -f members await_members); quill='$quill' work='$work'; await_members n1 2"
check "mail for a user on a live node is still accepted (via n2)" curl -sS --fail "smtp://127.0.0.1:${smtp[n2]}" \
  --mail-from curl@example.org --mail-rcpt carol@example.test --upload-file "$work/msg.eml"
check "mail for a user created on the killed node is still accepted (the profile's second copy)" curl -sS --fail \
  "smtp://127.0.0.1:${smtp[n1]}" --mail-from curl@example.org --mail-rcpt dave@example.test --upload-file "$work/msg.eml"
check "and that user still logs in and reads it (IMAP on n2)" bash -c "curl -sS --fail 'imap://127.0.0.1:${imap[n2]}/INBOX' -u 'dave@example.test:dave-pw' -X 'SEARCH SUBJECT \"via curl\"' | grep -qE '^\* SEARCH [0-9]'"
start n3 "127.0.0.1:${cport[n1]},127.0.0.1:${cport[n2]}" || failed=$((failed+1))
check "n3 rejoins" bash -c "$(declare -f members await_members); quill='$quill' work='$work'; await_members n1 3"
check "dave's mail is accepted again and readable on n2" bash -c "for i in \$(seq 1 50); do curl -sS --fail 'smtp://127.0.0.1:${smtp[n1]}' --mail-from curl@example.org --mail-rcpt dave@example.test --upload-file '$work/msg.eml' 2>/dev/null && break; sleep 0.3; done; curl -sS --fail 'imap://127.0.0.1:${imap[n2]}/INBOX' -u 'dave@example.test:dave-pw' -X 'SEARCH SUBJECT \"via curl\"' | grep -qE '^\* SEARCH [0-9]'"

for n in "${!pid[@]}"; do kill -TERM "${pid[$n]}"; done
for n in "${!pid[@]}"; do wait "${pid[$n]}" 2>/dev/null; done
pid=()
echo
echo "integration (cluster): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
