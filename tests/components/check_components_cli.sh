#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The programs' command lines: --help and --version exit 0 and say what they
# are; an unknown option, a bad value or a missing argument exits 2 with a
# message; getopt_long's --opt=value and --opt value both parse; without
# MSTRO_POOL_MANAGER_INFO they exit 1 with a clear message; the man pages
# generated from --help render and list every long option of --help.
#   check_components_cli.sh MAESTRO_LIBRARIAN MAESTRO_KEEPALIVE MAN1_DIR
set -uo pipefail
export FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo
lib=$1 keep=$2 man1=$3
fail() { echo "FAIL: $*"; exit 1; }
expect() { # STATUS PATTERN CMD...: exit status and a line of its output
  local want=$1 pat=$2 out rc
  shift 2
  out=$("$@" 2>&1); rc=$?
  [ "$rc" -eq "$want" ] || fail "$* exited $rc, expected $want: $out"
  grep -q -- "$pat" <<<"$out" || fail "$* did not print '$pat': $out"
}
unset MSTRO_POOL_MANAGER_INFO
for p in "$lib" "$keep"; do
  n=$(basename "$p")
  expect 0 "^Usage: $n" "$p" --help
  expect 0 "^Usage: $n" "$p" -h
  expect 0 "^$n (maestro) [0-9]" "$p" --version
  expect 2 "Try '$n --help'" "$p" --no-such-option
  expect 2 "bad --timeout 'x'" "$p" --timeout=x
  expect 2 "bad --timeout 'x'" "$p" --timeout x
  expect 2 "bad --count '-1'" "$p" --count=-1
  page=$man1/$n.1
  [ -s "$page" ] || fail "no man page $page"
  grep -q '^\.TH MAESTRO\\-' "$page" || fail "$page: no .TH"
  for sec in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT "EXIT STATUS"; do
    grep -q "^\.SH $sec" "$page" || fail "$page: no section $sec"
  done
  for opt in $("$p" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
    grep -qF -- "$(sed 's/-/\\-/g' <<<"$opt")" "$page" || fail "$page: $opt missing"
  done
  if command -v man >/dev/null; then
    man -l "$page" 2>/dev/null | grep -q "$n" || fail "$page does not render"
  fi
done
expect 2 "give exactly one archive directory" "$lib"
expect 2 "bad --linger" "$lib" --linger=-1 dir
expect 1 "MSTRO_POOL_MANAGER_INFO is not set" "$lib" --eager --selector='(has name)' /tmp
expect 2 "bad --uses '0'" "$keep" --uses=0
expect 2 "bad --max-bytes '12Q'" "$keep" --max-bytes=12Q
expect 2 "unexpected argument 'extra'" "$keep" extra
expect 1 "MSTRO_POOL_MANAGER_INFO is not set" "$keep" --max-bytes=1M --for=2.5 --attr=a --attr=b
echo "PASS: --help, --version, --opt=value, bad options and the man pages of both programs"
