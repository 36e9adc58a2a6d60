#!/usr/bin/env bash
# docs/getting-started.md, "The same as two processes": hello_cdo producer and
# consumer as separate processes that meet through maestro-pm. The producer
# is started first and the consumer once it has offered (the page says so).
#   test_hello_pm.sh MAESTRO_PM HELLO_CDO
set -u
pm=$1 hello=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hello_pm.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$tmp"/*; do echo "--- $f"; cat "$f"; done; exit 1; }
export MSTRO_WORKFLOW_NAME=hello-workflow MSTRO_PM_TIMEOUT=20

exec 3< <(exec "$pm" --workflow hello-workflow 2>"$tmp/pm.log")
pids+=($!)
read -t 30 -d ';' -u 3 _name && read -t 5 -d ';' -u 3 info || fail "no PM contact string"
export MSTRO_POOL_MANAGER_INFO=$info

"$hello" producer >"$tmp/producer.out" 2>&1 &
p=$!; pids+=("$p")
for _ in $(seq 300); do grep -q offered "$tmp/producer.out" && break; sleep 0.1; done
grep -q offered "$tmp/producer.out" || fail "the producer did not offer"
"$hello" consumer >"$tmp/consumer.out" 2>&1 || fail "consumer failed"
wait "$p" || fail "producer failed"
grep -q 'consumer: got hello/greeting, 1048576 bytes .* 0 wrong' "$tmp/consumer.out" || fail "consumer output"
cat "$tmp/producer.out" "$tmp/consumer.out"
echo "PASS: hello_cdo across processes"
