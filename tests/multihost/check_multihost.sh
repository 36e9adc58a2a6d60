#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Three hosts from network namespaces: the Pool Manager on one, a producer and
# a consumer (tests/demo/pm_component, which checks every byte) on the
# others, each host with one veth link to a bridge in a fourth namespace and
# an address of this test's own in 10.201.<r>.0/24. Nothing is configured
# outside the namespaces this test creates; all of them (and with them their
# links) are deleted on exit, also on failure.
#
# Per OFI provider (tcp;ofi_rxm and sockets), with FI_TCP_IFACE /
# FI_SOCKETS_IFACE naming each host's veth:
#   1. plain: the workflow completes, every byte checked, the PM's contact
#      string carries the PM host's address;
#   2. link down: the producer host's link goes down for 3 s mid-transfer;
#      the workflow resumes or fails cleanly (an error, not a signal) within
#      MSTRO_PM_TIMEOUT plus a grace, never with a wrong byte;
#   3. netem: 5 % loss and 20 ms delay on the producer's and the consumer's
#      links; the workflow completes and its throughput is printed.
# Exit 77 (skipped) where namespaces cannot be made (not root, no ip).
#   check_multihost.sh MAESTRO_PM PM_COMPONENT
set -uo pipefail
pm=$1 comp=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/contact_addr.sh"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "network namespaces need root"
command -v ip >/dev/null || skip "no ip (iproute2)"
id=$$
br=mstro-mh$id-br
hosts=(pm prod cons)
work=$(mktemp -d "${TMPDIR:-/tmp}/multihost.XXXXXX")
made=()
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  for n in "${made[@]}"; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
  echo "FAIL: $*"
  for f in "$work"/*.log; do [ -e "$f" ] && { echo "--- $f"; tail -n 40 "$f"; }; done
  exit 1
}

ns() { echo "mstro-mh$id-$1"; }
ip netns add "$br" 2>/dev/null || skip "cannot create a network namespace (ip netns add)"
made+=("$br")
ip -n "$br" link add br0 type bridge && ip -n "$br" link set br0 up && ip -n "$br" link set lo up ||
  fail "cannot make the bridge"
net=10.201.$((RANDOM % 250 + 1))
declare -A addr
i=1
for h in "${hosts[@]}"; do
  n=$(ns "$h")
  ip netns add "$n" || fail "ip netns add $n"
  made+=("$n")
  # the host's end is eth0 in its namespace, the bridge's end v-<host>
  ip -n "$br" link add "v-$h" type veth peer name eth0 netns "$n" || fail "veth for $h"
  ip -n "$br" link set "v-$h" master br0 up &&
    ip -n "$n" link set lo up && ip -n "$n" addr add "$net.$i/24" dev eth0 &&
    ip -n "$n" link set eth0 up || fail "configuring $h"
  addr[$h]=$net.$i
  i=$((i + 1))
done

export MSTRO_WORKFLOW_NAME=mh$id MSTRO_TRANSPORT_DEFAULT=OFI MSTRO_PM_TIMEOUT=${MSTRO_PM_TIMEOUT:-10}
grace=20 # seconds beyond MSTRO_PM_TIMEOUT for a survivor to finish
# run_on HOST LOGFILE CMD...: in HOST's namespace, its veth as the interface
run_on() {
  local h=$1 log=$2
  shift 2
  ip netns exec "$(ns "$h")" env FI_TCP_IFACE=eth0 FI_SOCKETS_IFACE=eth0 "$@" >"$log" 2>&1 &
  pids+=($!)
  last=$!
}

start_pm() { # PROVIDER TAG
  exec 3< <(ip netns exec "$(ns pm)" env FI_PROVIDER="$1" FI_TCP_IFACE=eth0 FI_SOCKETS_IFACE=eth0 \
    "$pm" --workflow "$MSTRO_WORKFLOW_NAME" --heartbeat-ms 500 --heartbeat-grace 20 2>"$work/pm-$2.log")
  pm_pid=$!
  pids+=("$pm_pid")
  info=
  read -t 30 -d ';' -u 3 _ && read -t 5 -d ';' -u 3 info
  [ -n "$info" ] || fail "$2: no PM contact string"
  local a
  a=$(contact_addr "$info") || fail "$2: cannot decode the contact string $info"
  [ "${a#* }" = "${addr[pm]}" ] || fail "$2: the PM's contact string holds $a, not ${addr[pm]}"
  export MSTRO_POOL_MANAGER_INFO=$info
}

stop_pm() {
  kill -TERM "$pm_pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pm_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pm_pid" 2>/dev/null
  wait "$pm_pid" 2>/dev/null
  exec 3<&-
}

# wait_bounded PID SECONDS: the exit status, or 124 when still running then
wait_bounded() {
  local p=$1 t=$2
  for _ in $(seq $((t * 10))); do
    kill -0 "$p" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$p" 2>/dev/null; then
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    return 124
  fi
  wait "$p"
}

wrong_bytes() { grep -l "differ from what the producer offered\|is .*, expected" "$work"/*.log 2>/dev/null; }

transfer() { # PROVIDER TAG COUNT SIZE [during-hook]: starts producer and consumer
  local prov=$1 tag=$2 n=$3 s=$4
  run_on prod "$work/prod-$tag.log" env FI_PROVIDER="$prov" "$comp" producer -n "$n" -s "$s"
  prod_pid=$last
  run_on cons "$work/cons-$tag.log" env FI_PROVIDER="$prov" "$comp" consumer -n "$n" -s "$s"
  cons_pid=$last
}

txbytes() { ip netns exec "$(ns prod)" cat /sys/class/net/eth0/statistics/tx_bytes; }

# completes CASE SECONDS: producer and consumer of CASE finish in time, every byte checked
completes() {
  wait_bounded "$cons_pid" "$2" || fail "$1: the consumer exited $?"
  wait_bounded "$prod_pid" 60 || fail "$1: the producer exited $?"
  grep -q "every byte and attribute checked" "$work/cons-$1.log" || fail "$1: no check"
}

throughput() { sed -n 's/.* in \([0-9.]* s\): \([^;]*\);.*/\2 (\1)/p' "$1"; }

for prov in "tcp;ofi_rxm" sockets; do
  tag=${prov//;/+}
  # 1. plain
  start_pm "$prov" "$tag"
  transfer "$prov" "plain-$tag" 6 4000037
  completes "plain-$tag" 120
  echo "ok $tag plain: 6 x 4 MB from ${addr[prod]} to ${addr[cons]}, PM at ${addr[pm]}: $(throughput "$work/cons-plain-$tag.log")"
  stop_pm

  # 2. the producer host's link down for 3 s mid-transfer
  start_pm "$prov" "$tag"
  tx0=$(txbytes)
  transfer "$prov" "down-$tag" 40 4000037
  # mid-transfer: once 20 MB of the 160 MB have left the producer's host
  for _ in $(seq 300); do
    [ $(($(txbytes) - tx0)) -gt 20000000 ] && break
    sleep 0.1
  done
  [ $(($(txbytes) - tx0)) -gt 20000000 ] || fail "$tag link down: the transfer did not start"
  t0=$(date +%s)
  ip -n "$(ns prod)" link set eth0 down
  sleep 3
  ip -n "$(ns prod)" link set eth0 up
  ip -n "$(ns prod)" route replace "$net.0/24" dev eth0 2>/dev/null
  bound=$((MSTRO_PM_TIMEOUT + grace + 60))
  wait_bounded "$cons_pid" "$bound"
  crc=$?
  wait_bounded "$prod_pid" "$bound"
  prc=$?
  t1=$(date +%s)
  [ -z "$(wrong_bytes)" ] || fail "$tag link down: wrong bytes ($(wrong_bytes))"
  for r in "consumer $crc" "producer $prc"; do
    set -- $r
    [ "$2" = 124 ] && fail "$tag link down: the $1 was still running $bound s after the link came back"
    [ "$2" -gt 128 ] && fail "$tag link down: the $1 died of signal $(($2 - 128))"
  done
  if [ "$crc" = 0 ]; then
    grep -q "every byte and attribute checked" "$work/cons-down-$tag.log" || fail "$tag link down: no check"
    echo "ok $tag link down 3 s: resumed, every byte checked, $((t1 - t0)) s after the cut"
  else
    echo "ok $tag link down 3 s: failed cleanly after $((t1 - t0)) s (consumer $crc, producer $prc):" \
      "$(grep -h "pm_component" "$work/cons-down-$tag.log" "$work/prod-down-$tag.log" | head -n 2 | tr '\n' ' ')"
  fi
  stop_pm

  # 3. 5 % loss and 20 ms delay on the producer's and the consumer's links
  if ! ip netns exec "$(ns prod)" tc qdisc add dev eth0 root netem loss 5% delay 20ms 2>"$work/tc.err"; then
    echo "note: $tag netem: tc netem unavailable here ($(head -n 1 "$work/tc.err")); not run"
    continue
  fi
  ip netns exec "$(ns cons)" tc qdisc add dev eth0 root netem loss 5% delay 20ms
  start_pm "$prov" "$tag"
  transfer "$prov" "netem-$tag" 4 1000003
  completes "netem-$tag" 240
  echo "ok $tag netem 5 % loss, 20 ms delay: throughput $(throughput "$work/cons-netem-$tag.log")"
  stop_pm
  ip netns exec "$(ns prod)" tc qdisc del dev eth0 root
  ip netns exec "$(ns cons)" tc qdisc del dev eth0 root
done
echo PASS
