#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Turns the event stream that simple_telemetry_listener writes with --csv FILE
# into a timeline plot: one row per component, time on the x axis, one marker
# shape and colour per event kind.
#
#   scripts/events-timeline.sh EVENTS.csv [OUT.png]     (default: EVENTS.png)
#
# CSV format (header required, one line per event; fields may be "quoted"):
#   time_ns,component,appid,kind,cdo_name,size
# time_ns is any monotonic nanosecond clock (mstro_clock()); the plot starts
# at the first event. A component is labelled "component (appid)" when
# several appids share a name. Needs gnuplot (Debian: gnuplot-nox).
# Exit status: 0 PNG written, 1 bad input or gnuplot failed, 2 usage.
set -uo pipefail
export LC_ALL=C

[ $# -ge 1 ] && [ $# -le 2 ] || { sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
csv=$1
png=${2:-${csv%.csv}.png}
[ "$png" != "$csv" ] || png=$csv.png
[ -r "$csv" ] || { echo "events-timeline: cannot read $csv" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "events-timeline: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/events-timeline.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# Parse: data blocks per kind (x=seconds since first event, y=row), the rows'
# labels and the kinds. Two passes over the file (min time first).
awk -v work="$work" '
  BEGIN { nrows = 0; nkinds = 0; nev = 0 }
  function parse(line,   n, c, i, f, q) {   # CSV with optional double quotes
    n = 0; f = ""; q = 0
    for (i = 1; i <= length(line); i++) {
      c = substr(line, i, 1)
      if (q) {
        if (c == "\"") { if (substr(line, i + 1, 1) == "\"") { f = f "\""; i++ } else q = 0 }
        else f = f c
      } else if (c == "\"") q = 1
      else if (c == ",") { fld[++n] = f; f = "" }
      else if (c != "\r") f = f c
    }
    fld[++n] = f
    return n
  }
  NR == FNR {
    if (FNR == 1) next
    if (parse($0) < 4 || fld[1] !~ /^[0-9]+$/) next
    if (!seen || fld[1] + 0 < t0) t0 = fld[1] + 0
    seen = 1
    key = fld[2] SUBSEP fld[3]
    if (!(key in nameapp)) { nameapp[key] = 1; apps[fld[2]]++ }
    next
  }
  FNR == 1 {
    if ($0 !~ /^"?time_ns"?,/) { print "events-timeline: first line is not the header time_ns,component,appid,kind,cdo_name,size" > "/dev/stderr"; bad = 1; exit 1 }
    next
  }
  {
    if (parse($0) < 4 || fld[1] !~ /^[0-9]+$/) { skipped++; next }
    comp = fld[2]; if (apps[comp] > 1) comp = comp " (" fld[3] ")"
    if (comp == "") comp = "(unnamed)"
    if (!(comp in row)) { row[comp] = nrows; label[nrows++] = comp }
    k = fld[4]; if (k == "") k = "(none)"
    if (!(k in kind)) { kind[k] = nkinds; kname[nkinds++] = k }
    t = (fld[1] - t0) / 1e9; if (t > tmax) tmax = t
    data[kind[k]] = data[kind[k]] sprintf("%.9f %d\n", t, row[comp])
    nev++
  }
  END {
    if (bad) exit 1
    if (nev == 0) { print "events-timeline: no events in the file" > "/dev/stderr"; exit 1 }
    for (i = 0; i < nkinds; i++) printf "%s\n\n", data[i] > (work "/events.dat")
    for (i = 0; i < nkinds; i++) print kname[i] > (work "/kinds")
    for (i = 0; i < nrows; i++) print label[i] > (work "/rows")
    printf "%d %d %d %.9f %d\n", nev, nrows, nkinds, tmax, skipped + 0 > (work "/summary")
  }' "$csv" "$csv" || exit 1

read -r nev nrows nkinds tmax skipped <"$work/summary"
# Time unit: ms below two seconds of events.
scale=1
unit=s
if awk -v t="$tmax" 'BEGIN {exit !(t < 2)}'; then scale=1000; unit=ms; fi
height=$((160 + 45 * nrows))
[ $height -lt 320 ] && height=320
ytics=$(awk '{gsub(/["\\]/, ""); printf "%s\"%s\" %d", (NR > 1) ? ", " : "", $0, NR - 1}' "$work/rows")
{
  echo "set terminal pngcairo size 1100,$height font 'sans,10' noenhanced"
  echo "set output '$png'"
  echo "set title 'Maestro events per component ($nev events, $(basename "$csv"))'"
  echo "set xlabel 'time since the first event [$unit]'"
  echo "set ylabel 'component'"
  echo "set ytics ($ytics)"
  echo "set yrange [-0.6:$nrows-0.4]"
  echo "set offsets graph 0.02, graph 0.02, 0, 0"
  echo "set grid xtics ytics lc rgb '#dddddd'"
  echo "set autoscale xfix"
  echo "set key outside right top title 'event kind'"
  printf "plot "
  i=0
  while IFS= read -r k; do
    kq=${k//\'/\'\'}
    # A small vertical offset per kind keeps coincident events of different kinds visible.
    printf "%s'%s' index %d using (\$1*%s):(\$2+%s) with points pt %d ps 1.3 lc %d title '%s'" \
      "$([ $i -gt 0 ] && echo ', ')" "$work/events.dat" $i "$scale" \
      "$(awk -v i=$i -v n="$nkinds" 'BEGIN {printf "%.3f", (n > 1) ? (i - (n - 1) / 2) * 0.5 / n : 0}')" \
      $((i % 13 + 1)) $((i + 1)) "$kq"
    i=$((i + 1))
  done <"$work/kinds"
  echo
} >"$work/plot.gp"
gnuplot "$work/plot.gp" || { echo "events-timeline: gnuplot failed (script kept in $work/plot.gp)" >&2; trap - EXIT; exit 1; }
[ -s "$png" ] || { echo "events-timeline: $png is empty" >&2; exit 1; }
echo "events-timeline: $nev events, $nrows components, $nkinds kinds -> $png${skipped:+ ($skipped malformed lines ignored)}"
