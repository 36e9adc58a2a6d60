#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The command-line contract of the installed programs (maestro-pm,
# mstro-launch): --help and --version answer with exit status 0, options
# parse with getopt_long spellings (--workflow=x), a bad option is refused,
# and maestro-pm refuses a bad MSTRO_* value at start as mstro_init does.
# Usage: test_programs_cli.sh <maestro-pm> <mstro-launch>
set -uo pipefail
pm=$1
launch=$2
export FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo
fail() { echo "FAIL: $*"; exit 1; }
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

for prog in "$pm" "$launch"; do
  for opt in --help -h --version -V; do
    "$prog" "$opt" >"$t/out" 2>&1 || fail "$(basename "$prog") $opt: exit $?"
    [ -s "$t/out" ] || fail "$(basename "$prog") $opt printed nothing"
  done
  "$prog" --no-such-option >"$t/out" 2>&1 && fail "$(basename "$prog") accepted --no-such-option"
done
"$pm" --help | grep -q -- "--workflow=NAME" || fail "maestro-pm --help lacks --workflow"
"$launch" --help | grep -q "Examples:" || fail "mstro-launch --help has no examples"

# --workflow=x (one word) and --workflow x both reach the PM: it prints its
# contact string and, with --exit-when-idle and no component, keeps serving.
for spelling in "--workflow=cli-wf" "-w cli-wf"; do
  # shellcheck disable=SC2086
  timeout 30 "$pm" $spelling --heartbeat-ms=200 >"$t/info" 2>"$t/err" &
  p=$!
  for _ in $(seq 200); do grep -q "^MSTRO_POOL_MANAGER_INFO;" "$t/info" && break; sleep 0.1; done
  kill -TERM $p 2>/dev/null
  wait $p
  grep -q "^MSTRO_POOL_MANAGER_INFO;" "$t/info" ||
    fail "maestro-pm $spelling did not start: $(cat "$t/err")"
done
# --info-file: the contact string in a file only its owner can read, the
# same string the PM prints, even under a permissive umask.
(umask 000 && exec timeout 30 "$pm" --workflow=cli-wf --info-file="$t/pm.info" >"$t/info" 2>"$t/err") &
p=$!
for _ in $(seq 200); do [ -s "$t/pm.info" ] && grep -q "^MSTRO_POOL_MANAGER_INFO;" "$t/info" && break; sleep 0.1; done
kill -TERM $p 2>/dev/null
wait $p
[ -f "$t/pm.info" ] || fail "maestro-pm --info-file wrote no file: $(cat "$t/err")"
[ "$(stat -c %a "$t/pm.info")" = 600 ] || fail "--info-file mode is $(stat -c %a "$t/pm.info"), not 600"
from_stdout=$(sed -e 's/^MSTRO_POOL_MANAGER_INFO;//' -e 's/;$//' "$t/info")
[ "$(cat "$t/pm.info")" = "$from_stdout" ] || fail "--info-file and stdout disagree"
ls "$t"/pm.info.*.tmp >/dev/null 2>&1 && fail "--info-file left its temporary file"
"$pm" --info-file="$t/no/such/dir/x" >/dev/null 2>"$t/err" && fail "maestro-pm ran with an unwritable --info-file"
grep -q "cannot write" "$t/err" || fail "unwritable --info-file: unexpected message $(cat "$t/err")"

"$pm" --heartbeat-ms=zero >/dev/null 2>"$t/err" && fail "maestro-pm accepted --heartbeat-ms=zero"
"$pm" stray-argument >/dev/null 2>"$t/err" && fail "maestro-pm accepted a stray argument"

# A bad MSTRO_* value: refused before the PM starts, with mstro_init's reason.
MSTRO_LOG_LEVEL=loud "$pm" >"$t/info" 2>"$t/err" && fail "maestro-pm ran with MSTRO_LOG_LEVEL=loud"
grep -q "bad logging setting: MSTRO_LOG_LEVEL=\"loud\"" "$t/err" ||
  fail "maestro-pm: unexpected message for MSTRO_LOG_LEVEL=loud: $(cat "$t/err")"
MSTRO_TRANSPORT_DEFAULT=NOPE "$pm" >"$t/info" 2>"$t/err" &&
  fail "maestro-pm ran with MSTRO_TRANSPORT_DEFAULT=NOPE"
grep -q "maestro-pm: bad transport setting: MSTRO_TRANSPORT_DEFAULT=\"NOPE\"" "$t/err" ||
  fail "maestro-pm: unexpected message for MSTRO_TRANSPORT_DEFAULT=NOPE: $(cat "$t/err")"
[ -s "$t/info" ] && fail "maestro-pm printed a contact string despite a bad environment"
MSTRO_PM_TIMEOUT=forever "$pm" >"$t/info" 2>"$t/err" && fail "maestro-pm ran with MSTRO_PM_TIMEOUT=forever"
grep -q "maestro-pm: bad environment: MSTRO_PM_TIMEOUT" "$t/err" ||
  fail "maestro-pm: unexpected message for MSTRO_PM_TIMEOUT=forever: $(cat "$t/err")"

"$launch" --timeout=soon -- true 2>/dev/null && fail "mstro-launch accepted --timeout=soon"
out=$("$launch" --pm="$pm" --workflow=cli-launch -- sh -c 'echo "wf=$MSTRO_WORKFLOW_NAME"') ||
  fail "mstro-launch --pm=... --workflow=... failed"
[ "$out" = "wf=cli-launch" ] || fail "mstro-launch --workflow=cli-launch gave '$out'"
echo "PASS: maestro-pm and mstro-launch command lines"
