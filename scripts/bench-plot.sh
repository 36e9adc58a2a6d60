#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# PNG plots (gnuplot) and a markdown table of ratios from one run of
# scripts/bench-all.sh.
#
#   scripts/bench-plot.sh RESULTDIR [--out DIR]     (default DIR: RESULTDIR/plots)
#
# Reads RESULTDIR/results.csv (run_id,benchmark,case,value,unit,baseline,ratio)
# and writes, for each benchmark present in it:
#   bandwidth_transport_ofi.png  mtr_ep_read vs raw fi_read per provider, GB/s vs size
#   bandwidth_transfer.png       CDO transfer through the PM vs raw libfabric
#                                (benchmarks/transfer, when it ran)
#   bandwidth_store.png          GFS / MIO put+get vs plain I/O / rados
#   latency.png                  round trips and demand latency vs raw round trips
#   layout_transpose.png         lyt_transform vs memcpy, streaming copy, naive loop
#   layout_redistribute.png      N-to-M redistribution vs memcpy
#   mamba_pool.png               libmamba pool vs malloc+free, ns per pair
#   mamba_regcache.png           registration-cache hit vs fi_mr_reg vs pinning
#   pool_local.png               offer->demand pairs per second vs thread count
#   selector_eval.png            selector evaluations per second vs hand-written C
#   ratios.md                    every case: value, baseline, ratio (markdown)
#   targets.md                   the targets of the library issues (3-6), each
#                                case measured against it: met / not met
# Sizes are parsed from case names ending in _<n>B, _<n>KiB, _<n>MiB or
# _<n>GiB; what was parsed is printed. A plot whose data are absent is
# skipped with a message. Needs gnuplot (Debian: gnuplot-nox).
set -uo pipefail
export LC_ALL=C

usage() { sed -n '3,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
res=$1
shift
out=
while [ $# -gt 0 ]; do
  case $1 in
    --out) [ $# -ge 2 ] || usage; out=$2; shift ;;
    *) usage ;;
  esac
  shift
done
csv=$res/results.csv
[ -r "$csv" ] || { echo "bench-plot: no $csv" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "bench-plot: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
out=${out:-$res/plots}
mkdir -p "$out/data" || exit 1
touch "$out/data/.stamp"
run_id=$(awk -F, 'NR == 2 {print $1}' "$csv")
load=$(awk -F': ' '/^loadavg_start/ {print $2}' "$res/machine.txt" 2>/dev/null)
cpu=$(awk -F': ' '/^cpu_model/ {print $2}' "$res/machine.txt" 2>/dev/null)
cores=$(awk -F': ' '/^cores_online/ {print $2}' "$res/machine.txt" 2>/dev/null)
subtitle="run $run_id; ${cores:-?} cores ${cpu:+($cpu)}; load at start ${load:-?}"

has() { awk -F, -v b="$1" 'NR > 1 && $2 == b {f = 1} END {exit !f}' "$csv"; }
header() { # header PNG WIDTH HEIGHT TITLE
  cat <<EOF
set terminal pngcairo size $2,$3 font 'sans,10' noenhanced
set output '$1'
set title "$4\n$subtitle"
set grid lc rgb '#dddddd'
set key outside right top
EOF
}
run_gp() { # run_gp NAME : gnuplot script on stdin, kept beside the data
  local gp=$out/data/$1.gp
  cat >"$gp"
  if gnuplot "$gp" 2>"$out/data/$1.err" && [ -s "$out/$1.png" ]; then
    echo "bench-plot: $out/$1.png"
  else
    echo "bench-plot: gnuplot failed for $1 (see $out/data/$1.err)" >&2
    sed 's/^/  | /' "$out/data/$1.err" >&2
  fi
}

# ---- bandwidth vs size: one curve per case prefix, raw baseline beside it --
# Case name <prefix>_<n><B|KiB|MiB|GiB>, unit GB/s (or MB/s); data file per
# prefix: bytes value baseline ratio.
plot_bw() { # plot_bw BENCH[,BENCH2] NAME TITLE VALUE_WORD BASE_WORD TARGET
  local benches=$1 name=$2 title=$3 vword=$4 bword=$5 target=$6
  rm -f "$out/data/$name".*.dat
  awk -F, -v bl="$benches" -v dir="$out/data" -v name="$name" '
    BEGIN { n = split(bl, b, ","); for (i = 1; i <= n; i++) want[b[i]] = 1 }
    NR > 1 && ($2 in want) && $5 ~ /^(GB|MB|GiB|MiB)\/s$/ {
      if (!match($3, /_[0-9]+(B|KiB|MiB|GiB)$/)) next
      pre = substr($3, 1, RSTART - 1); sz = substr($3, RSTART + 1)
      num = sz; sub(/[A-Za-z]+$/, "", num); u = substr(sz, length(num) + 1)
      mul = u == "B" ? 1 : u == "KiB" ? 1024 : u == "MiB" ? 1048576 : 1073741824
      f = 1; if ($5 ~ /^M/) f = 0.001
      series = $2 ":" pre
      if (!(series in seen)) { seen[series] = 1; order[++ns] = series }
      file = dir "/" name "." ns2id(series) ".dat"
      printf "%.0f %g %g %g\n", num * mul, $4 * f, $6 * f, $7 >> file
      cnt[series]++; lo[series] = lo[series] == "" ? sz : lo[series]; hi[series] = sz
    }
    function ns2id(s,   t) { t = s; gsub(/[^A-Za-z0-9]+/, "_", t); return t }
    END {
      for (i = 1; i <= ns; i++) {
        printf "bench-plot: %s: parsed series \"%s\": %d sizes (%s .. %s)\n", name, order[i], cnt[order[i]], lo[order[i]], hi[order[i]]
        print ns2id(order[i]) " " order[i] > (dir "/" name ".series")
      }
    }' "$csv"
  [ -s "$out/data/$name.series" ] || { echo "bench-plot: $name: no bandwidth cases, skipped"; rm -f "$out/data/$name.series"; return; }
  local plot1="" plot2="" i=0 id series lab
  while read -r id series; do
    i=$((i + 1))
    lab=${series#*:}
    lab=${lab//+/;}
    lab=${lab#read_}
    [ "${benches#*,}" != "$benches" ] && lab="${series%%:*} $lab"
    sort -n "$out/data/$name.$id.dat" -o "$out/data/$name.$id.dat"
    local vw=$vword bw=$bword
    if [ "$bword" = store ]; then # transport_store: GFS vs plain file I/O, MIO vs librados
      case $lab in mio*) vw="MIO put+get"; bw="rados_write_full+rados_read" ;; *) vw="GFS put+get"; bw="plain write+read" ;; esac
    fi
    plot1+="${plot1:+, }'$out/data/$name.$id.dat' using 1:2 with linespoints lw 2 pt 7 lc $i title '$vw${vw:+ }$lab'"
    plot1+=", '' using 1:3 with linespoints lw 1.5 dt 2 pt 6 lc $i title '$bw${bw:+ }$lab'"
    plot2+="${plot2:+, }'$out/data/$name.$id.dat' using 1:4 with linespoints lw 2 pt 7 lc $i title '$lab'"
  done <"$out/data/$name.series"
  rm -f "$out/data/$name.series"
  local xr
  xr=$(cat "$out/data/$name".*.dat | awk 'NR == 1 || $1 < lo {lo = $1} NR == 1 || $1 > hi {hi = $1} END {printf "[%g:%g]", lo / 1.4, hi * 1.4}')
  {
    header "$out/$name.png" 1100 850 "$title"
    cat <<EOF
set multiplot layout 2,1 margins 0.09,0.72,0.08,0.9 spacing 0,0.09
set logscale x 2
set logscale y 10
set xrange $xr
set xtics ("4 KiB" 4096, "16 KiB" 16384, "64 KiB" 65536, "256 KiB" 262144, "1 MiB" 1048576, "4 MiB" 4194304, "16 MiB" 16777216, "64 MiB" 67108864, "256 MiB" 268435456, "1 GiB" 1073741824)
set xlabel 'message size (bytes)'
set ylabel 'bandwidth [GB/s] (log)'
plot $plot1
unset title
unset logscale y
set ylabel 'ratio to baseline (higher is better)'
set yrange [0:*]
set key title 'ratio'
$( [ -n "$target" ] && echo "set arrow from graph 0, first $target to graph 1, first $target nohead dt 3 lc rgb 'red'; set label 'target $target' at graph 0.01, first $target offset 0,0.6 tc rgb 'red'" )
plot $plot2, 1 with lines lc rgb 'black' dt 1 lw 0.5 notitle
unset multiplot
EOF
  } | run_gp "$name"
}

has transport_ofi && plot_bw transport_ofi bandwidth_transport_ofi \
  "transport_ofi: mtr_ep_read (pipelined RMA) vs one raw fi_read, two processes" "mtr" "raw fi_read" 0.9
has transfer && plot_bw transfer bandwidth_transfer \
  "transfer: CDO transfer through the Pool Manager vs raw libfabric RMA read" "Maestro" "raw libfabric" 0.9
has transfer || echo "bench-plot: no benchmarks/transfer results in this run: bandwidth_transfer skipped"
has transport_store && plot_bw transport_store bandwidth_store \
  "transport_store: GFS / MIO put+get vs plain write+read (GFS) or rados (MIO)" "" store ""

# ---- histogram helper: data file 'label col2 col3 ...' -----------------------
histo() { # histo NAME TITLE YLABEL LOG(0/1) "title2|title3|..." < data
  local name=$1 title=$2 ylabel=$3 log=$4 titles=$5 dat=$out/data/$1.dat
  cat >"$dat"
  [ -s "$dat" ] || { echo "bench-plot: $name: no data, skipped"; return; }
  local n ncat plot="" i=2 t
  n=$(awk '{print NF; exit}' "$dat")
  ncat=$(wc -l <"$dat")
  IFS='|' read -r -a tt <<<"$titles"
  for t in "${tt[@]}"; do
    [ $i -le "$n" ] || break
    plot+="${plot:+, }'$dat' using $i$([ $i = 2 ] && echo ':xtic(1)') title '$t'"
    i=$((i + 1))
  done
  {
    header "$out/$name.png" $((900 + 60 * ncat * (n - 1) / 2)) 600 "$title"
    cat <<EOF
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics rotate by -30 left
set ylabel '$ylabel'
set datafile missing '-'
$( [ "$log" = 1 ] && echo "set logscale y 10" || echo "set yrange [0:*]" )
set key outside right top
plot $plot
EOF
  } | run_gp "$name"
}

# ---- latency: round trips and demand latency (unit us or ns) ----------------
if has transport_ofi || has transfer; then
  awk -F, 'NR > 1 && ($2 == "transport_ofi" || $2 == "transfer") && $5 ~ /^(us|ns|ms)$/ {
      f = $5 == "ns" ? 0.001 : $5 == "ms" ? 1000 : 1
      lab = $2 ":" $3; gsub(/\+/, ";", lab)
      four = $2 == "transfer" && $3 ~ /demand|lat/ ? sprintf("%g", 4 * $6 * f) : "-"
      printf "\"%s\" %g %g %s\n", lab, $4 * f, $6 * f, four }' "$csv" |
    histo latency "Latency: Maestro round trip / small demand vs raw libfabric round trip" \
      'microseconds (log, lower is better)' 1 "Maestro|raw libfabric round trip|target: 4 raw round trips"
fi

# ---- layout ------------------------------------------------------------------
if has layout_transpose; then
  awk -F, 'NR > 1 && $2 == "layout_transpose" {
      c = $3; suf = ""
      if (match(c, /_(vs_ntcopy|2threads|naive|vs_naive)$/)) { suf = substr(c, RSTART + 1); c = substr(c, 1, RSTART - 1) }
      if (!(c in seen)) { seen[c] = 1; ord[++n] = c }
      if (suf == "") { one[c] = $4; mc[c] = $6 }
      else if (suf == "2threads") two[c] = $4
      else if (suf == "vs_ntcopy") nt[c] = $6
      else if (suf == "naive") nv[c] = $4 }
    function d(x) { return x == "" ? "-" : x }
    END { for (i = 1; i <= n; i++) { c = ord[i]
      printf "\"%s\" %s %s %s %s %s\n", c, d(one[c]), d(two[c]), d(mc[c]), d(nt[c]), d(nv[c]) } }' "$csv" |
    histo layout_transpose "layout_transpose: lyt_transform (row-major to column-major, 3D permute) vs memcpy of the same bytes" \
      'GB/s (higher is better)' 0 "lyt_transform, 1 thread|lyt_transform, 2 threads|memcpy|streaming (NT) copy|naive double loop"
fi
if has layout_redistribute; then
  awk -F, 'NR > 1 && $2 == "layout_redistribute" { c = $3; sub(/^bc4_to_block3_f64_4096_?/, "", c); if (c == "") c = $3
      printf "\"%s\" %s %s\n", c, $4, $6 }' "$csv" |
    histo layout_redistribute "layout_redistribute: 4096x4096 f64 block-cyclic 2x2 to block 3x1, in memory" \
      'GB/s (higher is better)' 0 "redistribution|memcpy of the matrix"
fi

# ---- mamba -------------------------------------------------------------------
if has mamba_pool; then
  awk -F, 'NR > 1 && $2 == "mamba_pool" && $3 !~ /_cpu$/ { c = $3; sub(/thread(s)?/, "t", c); gsub(/_/, " ", c)
      printf "\"%s\" %s %s\n", c, $4, $6 }' "$csv" |
    histo mamba_pool "mamba_pool: libmamba pool vs malloc+free, one allocate+free pair (wall clock)" \
      'ns per pair per thread (log, lower is better)' 1 "libmamba pool (mmb_alloc/mmb_free_in)|malloc/free"
fi
if has mamba_regcache; then
  awk -F, 'NR > 1 && $2 == "mamba_regcache" {
      c = $3
      if (c ~ /^hit_vs_pinning_/) { sub(/^hit_vs_pinning_/, "", c); pin[c] = $6; if (!(c in seen)) { seen[c] = 1; ord[++n] = c }; next }
      if (c ~ /^hit_[0-9]+[KMG]?i?B$/) { sub(/^hit_/, "", c); hit[c] = $4; reg[c] = $6; if (!(c in seen)) { seen[c] = 1; ord[++n] = c }; next }
      other[++m] = sprintf("\"%s\" %s %s -", c, $4, $6) }
    function d(x) { return x == "" ? "-" : x }
    END { for (i = 1; i <= n; i++) { c = ord[i]; printf "\"hit %s\" %s %s %s\n", c, d(hit[c]), d(reg[c]), d(pin[c]) }
          for (i = 1; i <= m; i++) print other[i] }' "$csv" |
    histo mamba_regcache "mamba_regcache: registration-cache hit vs fi_mr_reg+fi_close (tcp) vs pinning (mlock+munlock)" \
      'ns per operation (log, lower is better)' 1 "cache (hit or miss)|fi_mr_reg+fi_close, tcp|mlock+munlock (what hardware providers add)"
fi

# ---- pool_local: pairs/s vs thread count --------------------------------------
if has pool_local; then
  awk -F, 'NR > 1 && $2 == "pool_local" && $5 == "pairs/s" && match($3, /_[0-9]+threads?$/) {
      s = substr($3, 1, RSTART - 1); t = substr($3, RSTART + 1); sub(/threads?$/, "", t)
      if (!(s in seen)) { seen[s] = 1; ord[++n] = s }
      d[s] = d[s] sprintf("%s %s %s\n", t, $4, $6) }
    END { for (i = 1; i <= n; i++) printf "# %s\n%s\n\n", ord[i], d[ord[i]]
          for (i = 1; i <= n; i++) print ord[i] > "/dev/stderr" }' "$csv" >"$out/data/pool_local.dat" 2>"$out/data/pool_local.series"
  if [ -s "$out/data/pool_local.series" ]; then
    plot="" i=0
    while read -r s; do
      plot+="${plot:+, }'$out/data/pool_local.dat' index $i using 1:2 with linespoints lw 2 pt 7 lc $((i + 1)) title '$s'"
      plot+=", '' index $i using 1:3 with linespoints lw 1 dt 2 pt 6 lc $((i + 1)) title '$s: baseline'"
      i=$((i + 1))
    done <"$out/data/pool_local.series"
    echo "bench-plot: pool_local: series $(paste -sd, "$out/data/pool_local.series")"
    {
      header "$out/pool_local.png" 1000 600 "pool_local: offer->demand pairs per second vs thread count (in-process pool)"
      cat <<EOF
set xlabel 'threads (producer + consumer pairs)'
set xtics 1
set autoscale xfix
set offsets 0.3, 0.3, 0, 0
set logscale y 10
set ylabel 'offer->demand pairs per second (log, higher is better)'
set label 1 "dashed: the baselines,\\nmailbox hand-off (meta, zerocopy)\\nor memcpy of 1 MiB (copy)" at screen 0.75, screen 0.62 font ',9'
plot $plot
EOF
    } | run_gp pool_local
  fi
  rm -f "$out/data/pool_local.series"
fi

# ---- selector_eval -------------------------------------------------------------
if has selector_eval; then
  awk -F, 'NR > 1 && $2 == "selector_eval" { printf "\"%s\" %s %s\n", $3, $4, $6 }' "$csv" |
    histo selector_eval "selector_eval: selector evaluations per second vs hand-written C of the same test" \
      'evaluations per second (log, higher is better)' 1 "selector (mstro)|hand-written C"
fi

# ---- targets of the library issues: met / not met ------------------------------
# issue;benchmark;case regex;minimum ratio (- for none);target text. Sizes >= 16 MiB for the
# bandwidth targets; "within 4 raw round trips" is ratio (raw/Maestro) >= 0.25.
targets='3;mamba_pool;^(64KiB|1MiB|16MiB)_[12]threads?$;5;libmamba pool >= 5x faster than malloc+free from 64 KiB up
3;mamba_pool;^(64B|4KiB)_[12]threads?$;1;libmamba pool never slower than malloc+free below 64 KiB
3;mamba_regcache;^hit_[0-9]+[KMG]?i?B$;100;registration-cache hit >= 100x cheaper than fi_mr_reg+fi_close (tcp)
3;mamba_regcache;^hit_vs_pinning_;-;(reference) hit vs mlock+munlock, what hardware providers add to a registration
4;layout_transpose;^f64_4096x4096$;0.7;2D transpose f64 4096x4096, 1 thread, >= 0.70 of memcpy
4;layout_transpose;^permute201_f64_256x256x256$;0.5;3D permutation (2,0,1) 256^3 f64 >= 0.50 of memcpy
4;layout_redistribute;^bc4_to_block3_f64_4096_(direct|direct_1thread|packed)$;0.5;redistribution block-cyclic 4 -> block 3 >= 0.50 of memcpy
5;pool_local;^demand_64MiB_copy$;0.9;64 MiB demand >= 0.9 of memcpy (or zero-copy)
5;pool_local;^demand_64MiB_zerocopy$;0.9;64 MiB demand without a consumer buffer: zero-copy
6;transport_ofi;^read_.*_((1[6-9]|[2-9][0-9]|[1-9][0-9][0-9]+)MiB|[0-9]+GiB)$;0.9;OFI transport >= 0.9 of raw libfabric bandwidth from 16 MiB up
6;transfer;^(tcp|shm|sockets|verbs|efa|cxi|psm)[a-z0-9+]*_((1[6-9]|[2-9][0-9]|[1-9][0-9][0-9]+)MiB|[0-9]+GiB)$;0.9;CDO transfer through the PM >= 0.9 of raw libfabric RMA read from 16 MiB up
6;transfer;^(gfs|mio)_[0-9]+[KMG]iB$;-;(reference, no target) GFS through the PM vs plain write+read, MIO vs rados_write_full+rados_read
6;transfer;(demand|lat);0.25;small-CDO demand within 4 raw libfabric round trips'
{
  echo "| issue | target | case | value | baseline | ratio | met? |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "$targets" | while IFS=';' read -r issue bench re min text; do
    rows=$(awk -F, -v b="$bench" -v re="$re" 'NR > 1 && $2 == b && $3 ~ re && !($2 == "transfer" && re ~ /MiB/ && $5 !~ /\/s$/)' "$csv")
    if [ -z "$rows" ]; then
      echo "| $issue | $text | — | | | | not measured (no $bench results in this run) |"
      continue
    fi
    printf '%s\n' "$rows" | awk -F, -v issue="$issue" -v text="$text" -v min="$min" '
      { met = (min == "-") ? "(reference)" : ($7 + 0 >= min + 0) ? "met" : "**not met**"
        printf "| %s | %s | %s | %s %s | %s %s | %s | %s |\n", issue, (NR == 1 ? text : "\""), $3, $4, $5, $6, $5, $7, met }'
  done
} >"$out/targets.md"
echo "bench-plot: $out/targets.md ($(grep -c 'not met' "$out/targets.md") rows not met, $(grep -c '| met |' "$out/targets.md") met)"

# ---- ratios table ------------------------------------------------------------
{
  echo "| benchmark | case | value | baseline | ratio |"
  echo "|---|---|---|---|---|"
  awk -F, 'NR > 1 { printf "| %s | %s | %s %s | %s %s | %s |\n", $2, $3, $4, $5, $6, $5, $7 }' "$csv"
} >"$out/ratios.md"
echo "bench-plot: $out/ratios.md ($(($(wc -l <"$out/ratios.md") - 2)) cases)"
made=$(find "$out" -maxdepth 1 -name '*.png' -newer "$out/data/.stamp" | wc -l)
echo "bench-plot: $made plots in $out"
[ "$made" -gt 0 ]
