#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# maestro-keepalive across processes. (1) --uses 2: a producer offers a CDO
# and withdraws it at once; its offer returned only once the keep-alive had
# its copy, so two consumers started after the producer exited both get
# every byte; then the keep-alive releases it and a third consumer's demand
# waits (killed after 3 s). (2) --max-bytes: three CDOs of 100000 bytes
# under a bound of 250000 bytes: the oldest is released when the third
# comes (a warning), a CDO of 300000 bytes is refused (a warning); what is
# kept is still served after its producer withdrew. (3) --release NAME:
# everything kept is released when a CDO of that name is offered. (4) --for.
#   check_components_keepalive.sh MAESTRO_PM COMP_CLIENT MAESTRO_KEEPALIVE
pm=$1 client=$2 keepalive=$3
tmp_name=components_keepalive
. "$(dirname "$0")/check_common.sh"
start_pm keepalive

# (1) held past the producer's withdraw until two consumers demanded it
"$keepalive" --selector='(name ~= "^kept-")' --uses=2 -n 1 -t 120 >"$tmp/keepalive.out" \
  2>"$tmp/keepalive.log" &
k=$!; pids+=("$k")
wait_for "$tmp/keepalive.out" "maestro-keepalive: subscribed" 60 || fail "the keep-alive did not start"
"$client" produce -p kept -n 1 -s 65536 >"$tmp/producer.out" 2>&1 || fail "the producer failed"
grep -q "withdraw-returned kept-0" "$tmp/producer.out" || fail "the producer did not withdraw"
grep -q "keeping kept-0" "$tmp/keepalive.out" || fail "kept-0 not kept when the offer returned"
for c in a b; do
  timeout 60 "$client" consume -p kept -n 1 -s 65536 >"$tmp/consumer-$c.out" 2>&1 ||
    fail "consumer $c did not get kept-0 after its producer withdrew"
done
wait_pid "$k" 30 || fail "the keep-alive failed or did not stop after releasing kept-0"
grep -q "released kept-0 after 2 use(s) (uses)" "$tmp/keepalive.out" || fail "not released after 2 uses"

# (2) the memory bound
"$keepalive" -q '(name ~= "^mem")' --uses 5 --max-bytes=250000 -t 120 >"$tmp/mem.out" \
  2>"$tmp/mem.log" &
m=$!; pids+=("$m")
wait_for "$tmp/mem.out" "maestro-keepalive: subscribed" 60 || fail "the second keep-alive did not start"
"$client" produce -p mem -n 3 -s 100000 >"$tmp/mem-producer.out" 2>&1 || fail "mem producer failed"
"$client" produce -p membig -n 1 -s 300000 >"$tmp/big-producer.out" 2>&1 || fail "big producer failed"
grep -q "released mem-0 after 0 use(s) (memory bound)" "$tmp/mem.out" || fail "mem-0 not released first"
grep -q "released mem-[12]" "$tmp/mem.out" && fail "a younger CDO was released"
grep -q "refused membig-0" "$tmp/mem.out" || fail "the CDO over the bound was not refused"
grep -q "larger than the bound of 250000 bytes" "$tmp/mem.log" || fail "no warning for the refusal"
grep -q "the bound of 250000 bytes is reached: 'mem-0' released early" "$tmp/mem.log" ||
  fail "no warning for the early release"
timeout 60 "$client" consume -p mem -i 1 -n 2 -s 100000 >"$tmp/mem-consumer.out" 2>&1 ||
  fail "the kept mem-1 and mem-2 were not served"
timeout 3 "$client" consume -p mem -n 1 -s 100000 >"$tmp/mem-late.out" 2>&1
rc=$?
[ "$rc" -eq 124 ] || fail "mem-0, released, was still served (rc $rc)"
kill -TERM "$m"
wait_pid "$m" 30 || fail "the keep-alive did not stop cleanly on SIGTERM"
grep -q "released mem-1 after 1 use(s) (stopping)" "$tmp/mem.out" || fail "not withdrawn at the end"
# (3) the release CDO, (4) the time condition
"$keepalive" -q '(name ~= "^rel-")' --uses=100 --release=done-0 -n 2 -t 60 >"$tmp/rel.out" \
  2>"$tmp/rel.log" &
r=$!; pids+=("$r")
wait_for "$tmp/rel.out" "maestro-keepalive: subscribed" 60 || fail "the third keep-alive did not start"
"$client" produce -p rel -n 2 -s 1000 >"$tmp/rel-producer.out" 2>&1 || fail "rel producer failed"
grep -q "keeping rel-1" "$tmp/rel.out" || fail "rel-1 not kept"
grep -q "released" "$tmp/rel.out" && fail "released before the release CDO"
"$client" produce -p done -n 1 -s 8 >"$tmp/done-producer.out" 2>&1 || fail "done producer failed"
wait_pid "$r" 30 || fail "the release CDO did not release both"
grep -q "released rel-0 after 0 use(s) (release CDO)" "$tmp/rel.out" || fail "rel-0: $(cat "$tmp/rel.out")"
"$keepalive" -q '(name ~= "^tmo-")' --for=0.5 -n 1 -t 60 >"$tmp/tmo.out" 2>"$tmp/tmo.log" &
f=$!; pids+=("$f")
wait_for "$tmp/tmo.out" "maestro-keepalive: subscribed" 60 || fail "the fourth keep-alive did not start"
"$client" produce -p tmo -n 1 -s 1000 >"$tmp/tmo-producer.out" 2>&1 || fail "tmo producer failed"
wait_pid "$f" 30 || fail "--for did not release"
grep -q "released tmo-0 after 0 use(s) (time)" "$tmp/tmo.out" || fail "tmo-0 not released by time"

# last, since a consumer killed in a demand stays a member until the PM
# takes it as crashed: a third demand of kept-0 after its release waits
timeout 3 "$client" consume -p kept -n 1 -s 65536 >"$tmp/consumer-c.out" 2>&1
rc=$?
[ "$rc" -eq 124 ] || fail "a third demand after the release ended with $rc instead of waiting"
echo "PASS: kept past the producer's withdraw for two consumers, then released; the memory bound released the oldest and refused an oversized CDO"
