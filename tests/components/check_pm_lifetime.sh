#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# .maestro.core.cdo.lifetime across processes: a producer offers a CDO with
# a lifetime of 1 s and does not withdraw it; a watcher in another process
# sees the PM's WITHDRAW of it at least 1 s after the offer; a consumer's
# demand after that waits (it is killed after 3 s without the data); the
# producer's own withdraw then returns at once with MSTRO_OK and its data
# unchanged. A second CDO without a lifetime stays and is served.
#   check_pm_lifetime.sh MAESTRO_PM COMP_CLIENT
pm=$1 client=$2
tmp_name=pm_lifetime
. "$(dirname "$0")/check_common.sh"
start_pm lifetime

"$client" watch -n 1 >"$tmp/watch.out" 2>&1 &
w=$!; pids+=("$w")
wait_for "$tmp/watch.out" "watch: subscribed" 60 || fail "the watcher did not start"
"$client" produce -p life -n 1 -s 4096 --lifetime 1 --go "$tmp/go" >"$tmp/producer.out" 2>&1 &
p=$!; pids+=("$p")
"$client" produce -p stay -n 1 -s 4096 --go "$tmp/go" >"$tmp/stayer.out" 2>&1 &
s=$!; pids+=("$s")
wait_for "$tmp/producer.out" "produce: offered life-0" 60 || fail "no offer"
wait_pid "$w" 30 || fail "the watcher saw no WITHDRAW within 30 s"
offered=$(awk '/produce: offered life-0/ {print $4}' "$tmp/producer.out")
seen=$(awk '/watch: WITHDRAW life-0/ {print $4}' "$tmp/watch.out")
[ -n "$seen" ] || fail "the WITHDRAW seen is not life-0's"
elapsed_ms=$(( (seen - offered) / 1000000 ))
[ "$elapsed_ms" -ge 1000 ] || fail "withdrawn after $elapsed_ms ms, before its lifetime of 1 s"
grep -q "the lifetime of 'life-0'" "$tmp/pm.log" || fail "the PM did not log the expiry"
grep -q "withdraw-returned" "$tmp/producer.out" && fail "the producer withdrew by itself"

# the expired CDO is no longer served: the demand waits
timeout 3 "$client" consume -p life -n 1 -s 4096 >"$tmp/late.out" 2>&1
rc=$?
[ "$rc" -eq 124 ] || fail "a demand of the expired CDO ended with $rc instead of waiting"
# the one without a lifetime is
timeout 60 "$client" consume -p stay -n 1 -s 4096 >"$tmp/consumer.out" 2>&1 ||
  fail "the CDO without a lifetime was not served"

touch "$tmp/go"
wait_pid "$p" 30 || fail "the producer's withdraw failed or hung"
ms=$(awk '/withdraw-returned life-0/ {print $4}' "$tmp/producer.out")
[ -n "$ms" ] && [ "$ms" -lt 2000 ] || fail "the producer's withdraw took ${ms:-?} ms"
wait_pid "$s" 30 || fail "the other producer failed"
echo "PASS: withdrawn by the PM after $elapsed_ms ms (lifetime 1 s), WITHDRAW seen, a later demand waits, the producer's withdraw returned in $ms ms"
