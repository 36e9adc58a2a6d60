#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# scripts/events-timeline.sh turns a listener CSV into a non-empty PNG, and
# refuses a file without the header. Usage: test_events_timeline.sh SRC WORKDIR
set -u
src=$1 work=$2
command -v gnuplot >/dev/null || { echo "gnuplot not installed: skipped"; exit 77; }
rm -rf "$work" && mkdir -p "$work" || exit 1
png=$work/events.png
bash "$src/scripts/events-timeline.sh" "$src/tests/docs/data/events.csv" "$png" || { echo "FAIL: script failed"; exit 1; }
[ -s "$png" ] || { echo "FAIL: $png missing or empty"; exit 1; }
[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || { echo "FAIL: $png is not a PNG"; exit 1; }
echo "ok: $png ($(wc -c <"$png") bytes)"
printf '1,a,1,OFFER,x,0\n' >"$work/noheader.csv"
if bash "$src/scripts/events-timeline.sh" "$work/noheader.csv" "$work/bad.png" 2>/dev/null; then
  echo "FAIL: a CSV without header was accepted"; exit 1
fi
printf 'time_ns,component,appid,kind,cdo_name,size\n' >"$work/empty.csv"
if bash "$src/scripts/events-timeline.sh" "$work/empty.csv" "$work/empty.png" 2>/dev/null; then
  echo "FAIL: a CSV without events was accepted"; exit 1
fi
echo "ok: bad input refused"
