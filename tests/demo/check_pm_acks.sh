#!/usr/bin/env bash
# _REQUIRE_ACK across processes: an acker process subscribes to OFFER events
# with _REQUIRE_ACK; a producer process's offer returns only after the acker
# acked (checked with CLOCK_MONOTONIC stamps of both), and an acker killed
# while holding an ack releases the offer (the PM drops it). Waits are on
# output lines and files, each bounded; every process started here is killed
# on exit (trap).
#   check_pm_acks.sh MAESTRO_PM PM_COMPONENT
set -uo pipefail
pm=$1 comp=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pm_acks.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$tmp"/*; do echo "--- $f"; cat "$f"; done; exit 1; }
# wait_for FILE PATTERN SECONDS
wait_for() {
  for _ in $(seq $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
# wait_pid PID SECONDS: its exit status, or 124 if it is still running
wait_pid() {
  for _ in $(seq $(($2 * 10))); do kill -0 "$1" 2>/dev/null || { wait "$1"; return; }; sleep 0.1; done
  return 124
}
export MSTRO_WORKFLOW_NAME=acks MSTRO_PM_TIMEOUT=30

# short heartbeats so that a killed acker is dropped within about a second
exec 3< <(MSTRO_LOG_LEVEL=info exec "$pm" --workflow acks --heartbeat-ms 200 --heartbeat-grace 5 2>"$tmp/pm.log")
pids+=($!)
read -t 30 -d ';' -u 3 _name && read -t 5 -d ';' -u 3 info || fail "no PM contact string"
export MSTRO_POOL_MANAGER_INFO=$info

# 1. the offer waits for the ack
MSTRO_COMPONENT_NAME=acker "$comp" acker -n 1 --go-file "$tmp/go" >"$tmp/acker.out" 2>&1 &
a=$!; pids+=("$a")
wait_for "$tmp/acker.out" "acker: subscribed" 60 || fail "the acker did not subscribe"
"$comp" producer -n 1 -s 4096 --no-wait --stamp >"$tmp/producer.out" 2>&1 &
p=$!; pids+=("$p")
wait_for "$tmp/acker.out" "acker: event cdo-0" 60 || fail "the acker saw no OFFER event"
grep -q "offer-returned" "$tmp/producer.out" && fail "the offer returned before the ack"
touch "$tmp/go"
wait_pid "$p" 60 || fail "producer failed or hung"
wait_pid "$a" 60 || fail "acker failed or hung"
t_ack=$(sed -n 's/^acker: ack \([0-9]*\)$/\1/p' "$tmp/acker.out")
t_ret=$(sed -n 's/^producer: offer-returned cdo-0 \([0-9]*\)$/\1/p' "$tmp/producer.out")
[ -n "$t_ack" ] && [ -n "$t_ret" ] || fail "missing time stamps"
[ "$t_ret" -ge "$t_ack" ] || fail "the offer returned ($t_ret) before the ack ($t_ack)"
echo "held: the offer returned $(((t_ret - t_ack) / 1000)) us after the ack"

# 2. an acker killed while holding an ack: the producer proceeds
"$comp" acker -n 1 --hold >"$tmp/holder.out" 2>&1 &
h=$!; pids+=("$h")
wait_for "$tmp/holder.out" "acker: subscribed" 60 || fail "the holder did not subscribe"
"$comp" producer -n 1 -s 4096 --no-wait --stamp >"$tmp/producer2.out" 2>&1 &
p=$!; pids+=("$p")
wait_for "$tmp/holder.out" "acker: event cdo-0" 60 || fail "the holder saw no OFFER event"
grep -q "offer-returned" "$tmp/producer2.out" && fail "the offer returned while the ack was held"
kill -KILL "$h"
wait_pid "$p" 60 || fail "the producer did not proceed after the holder was killed"
grep -q "offer-returned cdo-0" "$tmp/producer2.out" || fail "no offer-returned line"
grep -q "pending ack(s) of appid [0-9]* released" "$tmp/pm.log" ||
  fail "the PM did not log the released ack"
echo "PASS: offers held until acked, released when the acker died"
