#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# check_pm_transport_choice.sh: the Pool Manager decides the workflow's data
# transport (DESIGN.md section 4) and components follow it.
#
#   check_pm_transport_choice.sh MAESTRO_PM PM_COMPONENT
#
# 1. MSTRO_TRANSPORT_DEFAULT=GFS set for the PM only: both components move
#    data by GFS (told in WELCOME), and every byte arrives.
# 2. MSTRO_TRANSPORT_DEFAULT=MIO for the PM with no usable cluster: the PM
#    logs why it falls back, the components move data by OFI.
# 3. A producer with its own MSTRO_TRANSPORT_DEFAULT=GFS under a PM that chose
#    OFI: the consumer reads the GFS offers anyway (opens that store itself).
set -uo pipefail
pm=$1 comp=$2
here=$(cd "$(dirname "$0")" && pwd)
launch="$here/../../scripts/mstro-launch.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/pm_transport.XXXXXX")
trap 'rm -rf "$work"' EXIT
unset MSTRO_TRANSPORT_DEFAULT MSTRO_MIO_CONF
export MSTRO_PM_TIMEOUT=${MSTRO_PM_TIMEOUT:-20}
export MSTRO_GFS_DIR="$work/gfs"
mkdir -p "$MSTRO_GFS_DIR"
export MSTRO_LOG_LEVEL=info MSTRO_LOG_MODULES=core.pool,pm

fail() { echo "FAIL: $*"; cat "$log"; exit 1; }
expect() { grep -q -- "$1" "$log" || fail "$name: no line '$1'"; }
expect_count() { # PATTERN N: exactly N lines match
  local n; n=$(grep -c -- "$1" "$log"); [ "$n" -eq "$2" ] || fail "$name: $n lines '$1', wanted $2"
}

name=pm-chooses-gfs log="$work/$name.log"
echo "== $name"
"$launch" --pm "$pm" --workflow "choice-$$" --timeout 100 --pm-env MSTRO_TRANSPORT_DEFAULT=GFS -- \
  "$comp" producer -n 3 -s 100003 -- "$comp" consumer -n 3 -s 100003 >"$log" 2>&1 ||
  fail "$name exited $?"
expect "CDO data of this workflow moves by GFS"
expect_count "transport GFS chosen by the Pool Manager" 2
expect_count "CDO data between components moves by GFS" 2
expect "every byte and attribute checked"
[ -z "$(ls -A "$MSTRO_GFS_DIR")" ] || fail "$name: files left in MSTRO_GFS_DIR: $(ls "$MSTRO_GFS_DIR")"

name=pm-falls-back log="$work/$name.log"
echo "== $name"
"$launch" --pm "$pm" --workflow "choice-$$" --timeout 100 --pm-env MSTRO_TRANSPORT_DEFAULT=MIO \
  --pm-env MSTRO_MIO_CONF="$work/no-such-ceph.conf" -- \
  "$comp" producer -n 2 -s 4096 -- "$comp" consumer -n 2 -s 4096 >"$log" 2>&1 ||
  fail "$name exited $?"
grep -q "MIO.*falling back to OFI\|MIO.*falls back to OFI" "$log" || fail "$name: the PM did not log its fallback"
expect "CDO data of this workflow moves by OFI"
expect_count "transport OFI chosen by the Pool Manager" 2
expect "every byte and attribute checked"

name=producer-overrides log="$work/$name.log"
echo "== $name"
"$launch" --pm "$pm" --workflow "choice-$$" --timeout 100 -- \
  env MSTRO_TRANSPORT_DEFAULT=GFS "$comp" producer -n 3 -s 70001 -- \
  "$comp" consumer -n 3 -s 70001 >"$log" 2>&1 || fail "$name exited $?"
expect "transport GFS from this component's MSTRO_TRANSPORT_DEFAULT"
expect "transport OFI chosen by the Pool Manager"
expect "opened the GFS store to read offers made through it"
expect "every byte and attribute checked"
echo "PASS: check_pm_transport_choice"
