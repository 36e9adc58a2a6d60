#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Events across processes: simple_telemetry_listener as its own process (a
# component of the workflow) sees the events of a producer and a consumer
# process through the Pool Manager: APP_JOIN / APP_LEAVE with appid and
# component name, DECLARE, OFFER, REQUIRE, DEMAND, TRANSFER_COMPLETED (with
# the size), WITHDRAW, DISPOSE; its --csv file has the agreed header. Every
# process started here is killed on exit (trap).
#   check_pm_events.sh MAESTRO_PM PM_COMPONENT SIMPLE_TELEMETRY_LISTENER
set -uo pipefail
pm=$1 comp=$2 listener=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pm_events.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$tmp"/*; do echo "--- $f"; cat "$f"; done; exit 1; }
export MSTRO_WORKFLOW_NAME=events MSTRO_PM_TIMEOUT=20

exec 3< <(exec "$pm" --workflow events 2>"$tmp/pm.log")
pids+=($!)
read -t 30 -d ';' -u 3 _name && read -t 5 -d ';' -u 3 info || fail "no PM contact string"
export MSTRO_POOL_MANAGER_INFO=$info

"$listener" --pm --csv "$tmp/events.csv" --until-leaves 2 --timeout 60 >"$tmp/listener.out" 2>&1 &
l=$!; pids+=("$l")
for _ in $(seq 100); do grep -q listening "$tmp/listener.out" && break; sleep 0.1; done
grep -q listening "$tmp/listener.out" || fail "the listener did not start"

"$comp" producer -n 3 -s 100000 >"$tmp/producer.out" 2>&1 &
p=$!; pids+=("$p")
"$comp" consumer -n 3 -s 100000 >"$tmp/consumer.out" 2>&1 || fail "consumer failed"
wait "$p" || fail "producer failed"
wait "$l" || fail "the listener did not see both components leave"

csv=$tmp/events.csv
[ "$(head -1 "$csv")" = "time_ns,component,appid,kind,cdo_name,size" ] || fail "CSV header"
need() { grep -Eq "$1" "$csv" || fail "no CSV line matching '$1'"; }
need '^[0-9]+,producer,[0-9]+,APP_JOIN,,0$'
need '^[0-9]+,consumer,[0-9]+,APP_JOIN,,0$'
for i in 0 1 2; do
  need "^[0-9]+,producer,[0-9]+,OFFER,cdo-$i,"
  need "^[0-9]+,consumer,[0-9]+,REQUIRE,cdo-$i,"
  need "^[0-9]+,consumer,[0-9]+,DEMAND,cdo-$i,"
  need "^[0-9]+,consumer,[0-9]+,TRANSFER_COMPLETED,cdo-$i,100000$"
  need "^[0-9]+,producer,[0-9]+,WITHDRAW,cdo-$i,"
  need "^[0-9]+,consumer,[0-9]+,DISPOSE,cdo-$i,"
done
need '^[0-9]+,producer,[0-9]+,APP_LEAVE,,0$'
need '^[0-9]+,consumer,[0-9]+,APP_LEAVE,,0$'
# one printed line per event
[ "$(grep -c '^[0-9]' "$tmp/listener.out")" -eq "$(($(wc -l <"$csv") - 1))" ] ||
  fail "printed lines and CSV rows differ"
echo "PASS: $(($(wc -l <"$csv") - 1)) events seen across processes"
