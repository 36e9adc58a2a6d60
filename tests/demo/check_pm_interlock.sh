#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# check_pm_interlock.sh: a Pool Manager, a producer and a consumer as separate
# processes exchanging CDOs over one transport; the consumer checks every byte
# and attribute (pm_component.c). Run once per transport by ctest.
#
#   check_pm_interlock.sh MAESTRO_PM PM_COMPONENT OFI|GFS|MIO [PROVIDER]
#
# OFI runs with FI_PROVIDER=PROVIDER when given; GFS uses a fresh directory;
# MIO needs MSTRO_MIO_CONF / MSTRO_MIO_POOL (the ctest Ceph fixture sets them;
# exit 77 = skipped without them). Every process started here is stopped on
# exit (mstro-launch.sh), also on failure.
set -uo pipefail
pm=$1 comp=$2 transport=$3 provider=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
launch="$here/../../scripts/mstro-launch.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/pm_interlock.XXXXXX")
trap 'rm -rf "$work"' EXIT

export MSTRO_TRANSPORT_DEFAULT=$transport
export MSTRO_PM_TIMEOUT=${MSTRO_PM_TIMEOUT:-20}
case "$transport" in
  OFI) [ -n "$provider" ] && export FI_PROVIDER="$provider" ;;
  GFS) export MSTRO_GFS_DIR="$work/gfs"; mkdir -p "$MSTRO_GFS_DIR" ;;
  MIO) if [ -z "${MSTRO_MIO_CONF:-}" ] || [ ! -r "${MSTRO_MIO_CONF}" ]; then
         echo "SKIP: no Ceph cluster (MSTRO_MIO_CONF)"; exit 77
       fi ;;
  *) echo "unknown transport $transport" >&2; exit 2 ;;
esac
# A fallback to another transport would make this test pass for the wrong
# reason: the component logs the one it uses, and we check it.
export MSTRO_LOG_LEVEL=info MSTRO_LOG_MODULES=core.pool

run() {
  local name=$1; shift
  echo "== $name ($transport${provider:+, $provider})"
  local pargs=()
  for a in "$@"; do [ "$a" = --own-buffer ] || pargs+=("$a"); done
  "$launch" --pm "$pm" --workflow "interlock-$$" --timeout 100 -- \
    "$comp" producer "${pargs[@]}" -- "$comp" consumer "$@" >"$work/$name.log" 2>&1
  local rc=$?
  grep -v "core.pool INFO" "$work/$name.log" | grep -v "^$" || true
  if [ $rc -ne 0 ]; then echo "FAIL: $name exited $rc"; cat "$work/$name.log"; exit 1; fi
  if ! grep -q "moves by $transport" "$work/$name.log"; then
    echo "FAIL: $name did not move data by $transport"; cat "$work/$name.log"; exit 1
  fi
  grep -q "every byte and attribute checked" "$work/$name.log" || { echo "FAIL: $name: consumer did not report"; exit 1; }
  # the producer offers before the consumer requires: transport starts at
  # the require, and the demands find the bytes there (prefetch)
  if [ "$name" = bytes ] && ! grep -q "served by the transfer started at require" "$work/$name.log"; then
    echo "FAIL: $name: no demand was served by a transfer started at require"; cat "$work/$name.log"; exit 1
  fi
}

run bytes -n 5 -s 1000003
run big -n 2 -s 24M
run layout -n 2 -s 1M --2d --colmajor
run own-buffer -n 3 -s 3000001 --own-buffer
run own-buffer-layout -n 2 -s 1M --2d --colmajor --own-buffer
run small -n 20 -s 8
echo "PASS: check_pm_interlock $transport${provider:+ ($provider)}"
