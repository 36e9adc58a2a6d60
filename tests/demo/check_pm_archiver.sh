#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# simple_archiver --pm as its own process: PM + producer + archiver; the
# archiver holds each offer (_REQUIRE_ACK) until the CDO is on disk, so the
# producer's offers return only after the files are written. Every data file
# is compared byte for byte with what the producer offered, and each YAML
# sidecar names the CDO and its size. Every process started here is killed
# on exit (trap).
#   check_pm_archiver.sh MAESTRO_PM PM_COMPONENT SIMPLE_ARCHIVER
set -uo pipefail
pm=$1 comp=$2 archiver=$3
n=4 size=100003
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pm_archiver.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$tmp"/*.out "$tmp"/*.log; do echo "--- $f"; cat "$f"; done; exit 1; }
wait_for() {
  for _ in $(seq $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
wait_pid() {
  for _ in $(seq $(($2 * 10))); do kill -0 "$1" 2>/dev/null || { wait "$1"; return; }; sleep 0.1; done
  return 124
}
export MSTRO_WORKFLOW_NAME=archiver MSTRO_PM_TIMEOUT=30
mkdir -p "$tmp/expected" "$tmp/archive"

exec 3< <(exec "$pm" --workflow archiver 2>"$tmp/pm.log")
pids+=($!)
read -t 30 -d ';' -u 3 _name && read -t 5 -d ';' -u 3 info || fail "no PM contact string"
export MSTRO_POOL_MANAGER_INFO=$info

"$archiver" --pm -d "$tmp/archive" -n $n -t 120 >"$tmp/archiver.out" 2>&1 &
a=$!; pids+=("$a")
wait_for "$tmp/archiver.out" "simple_archiver: subscribed" 60 || fail "the archiver did not start"
"$comp" producer -n $n -s $size --no-wait --dump "$tmp/expected" >"$tmp/producer.out" 2>&1 &
p=$!; pids+=("$p")
wait_pid "$p" 120 || fail "producer failed or hung"
# the offers returned, so the archive is complete already
for i in $(seq 0 $((n - 1))); do
  cmp "$tmp/expected/cdo-$i.data" "$tmp/archive/cdo-$i.data" || fail "cdo-$i.data differs"
  grep -qx 'name: "cdo-'$i'"' "$tmp/archive/cdo-$i.yaml" || fail "cdo-$i.yaml: no name"
  grep -qx "scope.local-size: $size" "$tmp/archive/cdo-$i.yaml" || fail "cdo-$i.yaml: no size"
done
wait_pid "$a" 60 || fail "archiver failed or hung"
grep -q "$n of $n CDOs archived" "$tmp/archiver.out" || fail "archiver summary"
echo "PASS: $n CDOs of $size bytes archived by a separate process, byte for byte"
