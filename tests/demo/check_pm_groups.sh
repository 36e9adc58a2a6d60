#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Groups across processes (issue 13), with maestro-pm and group_component
# processes on loopback over one transport:
#   1. a group offered by a producer (members by handle) with members by
#      name offered by a third component, demanded by a consumer: every
#      member's metadata checked field by field, two picked members' bytes;
#   2. group events reach a watcher in another component, and its
#      _REQUIRE_ACK holds the group offer until it acks (300 ms);
#   3. a producer killed before it offers its group while the consumer
#      waits: the demand keeps waiting (no partial group) and is served by
#      the group of a second producer;
#   4. (with --big) a group of 10 000 members.
# Every process started here is killed on exit (trap), also on failure.
#   check_pm_groups.sh MAESTRO_PM GROUP_COMPONENT OFI|GFS [PROVIDER] [--big]
set -uo pipefail
pm=$1 comp=$2 transport=$3
shift 3
provider="" big=0
for a in "$@"; do
  case "$a" in --big) big=1 ;; *) provider=$a ;; esac
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pm_groups.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$tmp"/*.log; do echo "--- $f"; tail -40 "$f"; done; exit 1; }
export FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo
export MSTRO_WORKFLOW_NAME=groups MSTRO_PM_TIMEOUT=20 MSTRO_TRANSPORT_DEFAULT=$transport
case "$transport" in
  OFI) [ -n "$provider" ] && export FI_PROVIDER="$provider" ;;
  GFS) export MSTRO_GFS_DIR="$tmp/gfs"; mkdir -p "$MSTRO_GFS_DIR" ;;
  *) echo "unknown transport $transport" >&2; exit 2 ;;
esac

start_pm() { # start_pm TAG [PM OPTIONS]
  local tag=$1; shift
  exec 3< <(exec "$pm" --workflow groups "$@" 2>"$tmp/pm$tag.log")
  pids+=($!)
  read -t 30 -d ';' -u 3 _name && read -t 5 -d ';' -u 3 info || fail "no PM contact string"
  export MSTRO_POOL_MANAGER_INFO=$info
}
bg() { local log=$1; shift; "$comp" "$@" >"$tmp/$log.log" 2>&1 & pids+=($!); }

# 1. producer, third component, consumer; heartbeats every 200 ms, so that
# the killed producer of 3 is dropped within about a second
start_pm 1 --heartbeat-ms 200 --heartbeat-grace 5
bg third third -g g1 -k 3; t=$!
bg producer producer -g g1 -n 5 -k 3; p=$!
"$comp" consumer -g g1 -n 5 -k 3 >"$tmp/consumer.log" 2>&1 || fail "consumer failed"
wait "$p" || fail "producer failed"
wait "$t" || fail "third component failed"
grep -q "group checked: 8 members" "$tmp/consumer.log" || fail "the consumer did not check the group"
grep -q "member g1-m2: 24 bytes checked" "$tmp/consumer.log" || fail "by-handle member's bytes"
grep -q "member g1-x2: 24 bytes checked" "$tmp/consumer.log" || fail "by-name member's bytes"
echo "ok 1: group of 5 by handle + 3 by name from a third component"

# 2. events and a held group offer
bg watcher watcher -g g2; w=$!
for _ in $(seq 200); do grep -q subscribed "$tmp/watcher.log" && break; sleep 0.1; done
grep -q subscribed "$tmp/watcher.log" || fail "the watcher did not subscribe"
bg producer2 producer -g g2 -n 3; p=$!
"$comp" consumer -g g2 -n 3 >"$tmp/consumer2.log" 2>&1 || fail "consumer 2 failed"
wait "$p" || fail "producer 2 failed"
wait "$w" || fail "the watcher failed"
for k in GROUP_SEAL GROUP_OFFER GROUP_DEMAND GROUP_WITHDRAW; do
  grep -q "watcher: event $k g2" "$tmp/watcher.log" || fail "the watcher saw no $k of g2"
done
ms=$(sed -n 's/^group offer took \([0-9]*\) ms$/\1/p' "$tmp/producer2.log")
[ -n "$ms" ] && [ "$ms" -ge 250 ] || fail "the group offer was not held by the watcher (${ms:-?} ms)"
echo "ok 2: group events across processes, group offer held ${ms} ms"

# 3. a producer killed before its group offer: the demand waits, served by another
bg dead producer -g g3 -n 4 --stall; d=$!
for _ in $(seq 200); do grep -q stalling "$tmp/dead.log" && break; sleep 0.1; done
grep -q stalling "$tmp/dead.log" || fail "the stalling producer did not offer its members"
bg consumer3 consumer -g g3 -n 4; c=$!
sleep 1
kill -KILL "$d"
for _ in $(seq 100); do grep -q "dropping component 'producer'" "$tmp/pm1.log" && break; sleep 0.1; done
grep -q "dropping component 'producer'" "$tmp/pm1.log" || fail "the PM kept the dead producer"
kill -0 "$c" 2>/dev/null || fail "the consumer's group demand returned without a group"
bg producer3 producer -g g3 -n 4; p=$!
wait "$c" || fail "consumer 3 failed"
wait "$p" || fail "producer 3 failed"
grep -q "group checked: 4 members" "$tmp/consumer3.log" || fail "consumer 3 did not check"
echo "ok 3: producer killed -> the demand waited, served by another producer's group"

# 4. 10 000 members (default heartbeats: a loaded or TSan run must not take
# a busy member for a dead one)
if [ $big = 1 ]; then
  start_pm 4
  bg producer4 producer -g g4 -n 10000; p=$!
  "$comp" consumer -g g4 -n 10000 >"$tmp/consumer4.log" 2>&1 || fail "consumer 4 failed"
  wait "$p" || fail "producer 4 failed"
  grep -q "group checked: 10000 members" "$tmp/consumer4.log" || fail "consumer 4 did not check"
  echo "ok 4: $(grep 'group demand took' "$tmp/consumer4.log") for 10000 members"
fi
echo "PASS: check_pm_groups $transport${provider:+ ($provider)}"
