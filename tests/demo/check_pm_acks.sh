#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# _REQUIRE_ACK across processes: an acker process subscribes to OFFER events
# with _REQUIRE_ACK; a producer process's offer returns only after the acker
# acked (checked with CLOCK_MONOTONIC stamps of both), and an acker killed
# while holding an ack releases the offer (the PM drops it). Then the same
# for every CDO kind: an acker holding DECLARE, SEAL, OFFER, REQUIRE,
# RETRACT, DEMAND, TRANSFER_STARTED, TRANSFER_COMPLETED, WITHDRAW and
# DISPOSE acks each event after a delay, and each operation of an `ops`
# process must have returned after the ack of its events; without an ack
# subscription the same operations cost no release (EVENT_ACK) and no
# DECLARE / SEAL / TRANSFER_STARTED / DISPOSE message (PM debug log); an acker killed while holding
# releases the operation; a PM killed while an operation is held fails it
# with MSTRO_NO_PM within MSTRO_PM_TIMEOUT. Waits are on output lines and
# files, each bounded; every process started here is killed on exit (trap).
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
# debug: the PM logs every message it gets and every release it sends
exec 3< <(MSTRO_LOG_LEVEL=debug exec "$pm" --workflow acks --heartbeat-ms 200 --heartbeat-grace 5 2>"$tmp/pm.log")
pmpid=$!
pids+=("$pmpid")
read -t 30 -d ';' -u 3 _name && read -t 5 -d ';' -u 3 info || fail "no PM contact string"
export MSTRO_POOL_MANAGER_INFO=$info

# 1. the offer waits for the ack
MSTRO_COMPONENT_NAME=acker "$comp" acker -n 1 --go-file "$tmp/go" >"$tmp/acker.out" 2>&1 &
a=$!; pids+=("$a")
wait_for "$tmp/acker.out" "acker: subscribed" 60 || fail "the acker did not subscribe"
"$comp" producer -n 1 -s 4096 --no-wait --stamp >"$tmp/producer.out" 2>&1 &
p=$!; pids+=("$p")
wait_for "$tmp/acker.out" "acker: event OFFER cdo-0" 60 || fail "the acker saw no OFFER event"
grep -q "offer-returned" "$tmp/producer.out" && fail "the offer returned before the ack"
touch "$tmp/go"
wait_pid "$p" 60 || fail "producer failed or hung"
wait_pid "$a" 60 || fail "acker failed or hung"
t_ack=$(sed -n 's/^acker: ack \([0-9]*\) OFFER$/\1/p' "$tmp/acker.out")
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
wait_for "$tmp/holder.out" "acker: event OFFER cdo-0" 60 || fail "the holder saw no OFFER event"
grep -q "offer-returned" "$tmp/producer2.out" && fail "the offer returned while the ack was held"
kill -KILL "$h"
wait_pid "$p" 60 || fail "the producer did not proceed after the holder was killed"
grep -q "offer-returned cdo-0" "$tmp/producer2.out" || fail "no offer-returned line"
grep -q "pending ack(s) of appid [0-9]* released" "$tmp/pm.log" ||
  fail "the PM did not log the released ack"
echo "offers held until acked, released when the acker died"

# 3. every CDO kind: the acker acks each event 150 ms after it came; each
# operation of `ops` must have returned after the ack of each event it caused
"$comp" acker -n 13 --all-kinds --delay-ms 150 >"$tmp/all.out" 2>&1 &
a=$!; pids+=("$a")
wait_for "$tmp/all.out" "acker: subscribed" 60 || fail "the all-kinds acker did not subscribe"
"$comp" ops >"$tmp/ops.out" 2>&1 &
o=$!; pids+=("$o")
wait_pid "$o" 90 || fail "ops failed or hung"
wait_pid "$a" 60 || fail "the all-kinds acker failed or hung"
# ops lines: "ops: OP START END"; acker lines: "acker: ack NS KIND..."
awk '
  /^acker: ack / { for (i = 4; i <= NF; i++) { n++; ack_ns[n] = $3; ack_kind[n] = $i } }
  /^ops: / { m++; op[m] = $2; s[m] = $3; e[m] = $4 }
  END {
    need["declare"] = "DECLARE"; need["require"] = "SEAL REQUIRE"; need["retract"] = "RETRACT"
    need["seal"] = "SEAL"; need["offer"] = "OFFER"
    need["demand"] = "DEMAND TRANSFER_STARTED TRANSFER_COMPLETED"; need["withdraw"] = "WITHDRAW"
    need["dispose"] = "DISPOSE"
    if (m != 10) { print "expected 10 operations, saw " m; bad = 1 }
    for (j = 1; j <= m; j++) {
      k = split(need[op[j]], kinds, " ")
      if (k == 0) { print "unknown operation " op[j]; bad = 1 }
      for (x = 1; x <= k; x++) {
        found = 0
        for (i = 1; i <= n; i++)
          if (ack_kind[i] == kinds[x] && ack_ns[i] >= s[j] && ack_ns[i] <= e[j]) found = 1
        if (!found) { print op[j] " (" j ") returned without waiting for the ack of its " kinds[x]; bad = 1 }
      }
      printf "held: %-8s %7.1f ms (%s)\n", op[j], (e[j] - s[j]) / 1e6, need[op[j]]
    }
    exit bad
  }' "$tmp/all.out" "$tmp/ops.out" || fail "an operation was not held by the acker"

# 4. no ack subscription: no release and no message only subscribers need
count() { grep -c "$1" "$tmp/pm.log"; }
r0=$(count "EVENT_ACK releases"); s0=$(count "SEAL (seq"); t0=$(count "TRANSFER_STARTED (seq")
d0=$(count " DECLARE (seq"); x0=$(count " DISPOSE (seq")
"$comp" ops --name free >"$tmp/ops_free.out" 2>&1 || fail "ops without subscribers failed"
[ "$(count "EVENT_ACK releases")" -eq "$r0" ] || fail "a release was sent with no ack subscription"
[ "$(count "SEAL (seq")" -eq "$s0" ] || fail "SEAL was sent to the PM although nobody watches it"
[ "$(count "TRANSFER_STARTED (seq")" -eq "$t0" ] ||
  fail "TRANSFER_STARTED was sent to the PM although nobody watches it"
[ "$(count " DECLARE (seq")" -eq "$d0" ] || fail "DECLARE was sent to the PM although nobody watches it"
[ "$(count " DISPOSE (seq")" -eq "$x0" ] || fail "DISPOSE was sent to the PM although nobody watches it"
# a plain subscription: the events are forwarded (SEAL, TRANSFER_STARTED
# included), but the only release is the answer to its SUBSCRIBE
"$comp" acker -n 13 --all-kinds --no-ack >"$tmp/watch.out" 2>&1 &
a=$!; pids+=("$a")
wait_for "$tmp/watch.out" "acker: subscribed" 60 || fail "the watcher did not subscribe"
"$comp" ops --name watched >"$tmp/ops_watched.out" 2>&1 || fail "ops with a watcher failed"
wait_pid "$a" 60 || fail "the watcher failed or did not see 13 events"
[ "$(count "EVENT_ACK releases")" -eq $((r0 + 1)) ] ||
  fail "releases besides the SUBSCRIBE's with a plain subscription: $(($(count "EVENT_ACK releases") - r0))"
[ "$(count "SEAL (seq")" -eq $((s0 + 2)) ] || fail "the two seals were not told to the PM"
[ "$(count "TRANSFER_STARTED (seq")" -eq $((t0 + 1)) ] || fail "the transfer start was not told to the PM"
[ "$(count " DECLARE (seq")" -eq $((d0 + 2)) ] || fail "the two declares were not told to the PM"
[ "$(count " DISPOSE (seq")" -eq $((x0 + 2)) ] || fail "the two disposes were not told to the PM"
grep -q "acker: event TRANSFER_STARTED watched" "$tmp/watch.out" || fail "no TRANSFER_STARTED event"
grep -q "acker: event SEAL watched" "$tmp/watch.out" || fail "no SEAL event"
echo "no ack subscription: no release, no extra message"

# 5. an all-kinds acker killed while holding the first declare: ops proceeds
"$comp" acker -n 1 --all-kinds --hold >"$tmp/holder2.out" 2>&1 &
h=$!; pids+=("$h")
wait_for "$tmp/holder2.out" "acker: subscribed" 60 || fail "the holder did not subscribe"
n0=$(count "pending ack(s) of appid [0-9]* released")
"$comp" ops --name orphan >"$tmp/ops_orphan.out" 2>&1 &
o=$!; pids+=("$o")
wait_for "$tmp/holder2.out" "acker: event DECLARE orphan" 60 || fail "the holder saw no DECLARE"
sleep 0.3
grep -q "^ops: declare" "$tmp/ops_orphan.out" && fail "the declare returned while held"
kill -KILL "$h"
wait_pid "$o" 60 || fail "ops did not proceed after the holder was killed"
[ "$(count "pending ack(s) of appid [0-9]* released")" -gt "$n0" ] ||
  fail "the PM did not log the released ack"
echo "a held declare is released when the acker dies"

# 6. the PM killed while a declare is held: MSTRO_NO_PM within MSTRO_PM_TIMEOUT
"$comp" acker -n 1 --all-kinds --hold >"$tmp/holder3.out" 2>&1 &
h=$!; pids+=("$h")
wait_for "$tmp/holder3.out" "acker: subscribed" 60 || fail "the last holder did not subscribe"
MSTRO_PM_TIMEOUT=3 "$comp" ops --name nopm >"$tmp/ops_nopm.out" 2>&1 &
o=$!; pids+=("$o")
wait_for "$tmp/holder3.out" "acker: event DECLARE nopm" 60 || fail "the last holder saw no DECLARE"
kill -KILL "$pmpid"
t0=$(date +%s)
wait_pid "$o" 30
rc=$?
t1=$(date +%s)
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "the held declare did not fail without a PM (rc $rc)"
grep -q "declare: pool manager unreachable" "$tmp/ops_nopm.out" || fail "the declare did not return MSTRO_NO_PM"
[ $((t1 - t0)) -le 8 ] || fail "MSTRO_NO_PM after $((t1 - t0)) s (MSTRO_PM_TIMEOUT=3)"
echo "PASS: offers and every CDO operation held until acked, released when the acker died, MSTRO_NO_PM when the PM died; no round trip without an ack subscription"
