#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Stops the single-node Ceph cluster that scripts/ceph-start.sh started under
# DIR (its daemons are found by their "-c DIR/ceph.conf" argument) and removes
# DIR unless --keep is given. Stopping a cluster that is not running is fine.
#
#   scripts/ceph-stop.sh [--keep] DIR
set -uo pipefail
keep=0
if [ "${1:-}" = "--keep" ]; then keep=1; shift; fi
[ $# -eq 1 ] || { echo "usage: $0 [--keep] DIR" >&2; exit 2; }
dir=$1
[ -d "$dir" ] || exit 0
dir=$(cd "$dir" && pwd)
conf=$dir/ceph.conf

pids() { pgrep -f -- "-c $conf( |\$)" 2>/dev/null; }
list=$(pids)
if [ -n "$list" ]; then
  # shellcheck disable=SC2086
  kill -TERM $list 2>/dev/null
  for _ in $(seq 20); do   # a throwaway cluster: no need to wait long for a clean exit
    [ -z "$(pids)" ] && break
    sleep 0.1
  done
  list=$(pids)
  # shellcheck disable=SC2086
  [ -n "$list" ] && kill -KILL $list 2>/dev/null
fi
if [ $keep = 0 ] && [ -f "$dir/.mstro-ceph" ]; then
  rm -rf "$dir"
fi
exit 0
