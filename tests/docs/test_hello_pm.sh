#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# docs/getting-started.md, "The same as two processes": hello_cdo producer and
# consumer as separate processes that meet through maestro-pm; the consumer
# starts first (the order does not matter).
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

# the consumer first: the order must not matter
"$hello" consumer >"$tmp/consumer.out" 2>&1 &
c=$!; pids+=("$c")
sleep 0.2
"$hello" producer >"$tmp/producer.out" 2>&1 || fail "producer failed"
wait "$c" || fail "consumer failed"
grep -q 'consumer: got hello/greeting, 1048576 bytes .* 0 wrong' "$tmp/consumer.out" || fail "consumer output"
cat "$tmp/producer.out" "$tmp/consumer.out"
echo "PASS: hello_cdo across processes"
