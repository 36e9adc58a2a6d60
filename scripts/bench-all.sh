#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs every benchmark binary of a build and collects its BENCH lines
# (DESIGN.md section 7) into one CSV per run, with a description of the machine.
#
#   scripts/bench-all.sh [--quick] [--build DIR] [--out DIR] [--only NAME]... [--timeout S]
#
#   --quick       pass --quick to every benchmark (a few seconds each)
#   --build DIR   build directory whose benchmarks/ is run (default: build/)
#   --out DIR     where the run directory is created (default: bench-results/)
#   --only NAME   run only this benchmark (repeatable)
#   --timeout S   per-benchmark limit in seconds (default 1800, quick: 300)
#   --ceph        start a throwaway Ceph cluster (scripts/ceph-start.sh) for the
#                 run, so that transport_store measures MIO too; stopped at the end
#
# A run directory <out>/<run_id>/ (run_id = UTC date-time, host, "quick") holds:
#   results.csv   run_id,benchmark,case,value,unit,baseline,ratio (one row per BENCH line)
#   machine.txt   CPU, cores, memory, kernel, libfabric version and providers,
#                 CUDA (or "none"), load average at start and end, git commit
#   status.csv    run_id,benchmark,status,exit_code,seconds,bench_lines
#                 (status: ok | skipped | failed | timeout)
#   skips.txt     the lines in which benchmarks said they skipped something
#   logs/<benchmark>.log   everything the benchmark printed (stdout and stderr)
# and <out>/latest points at it. A benchmark that fails is reported and the
# run goes on. Exit status: 0 when none failed, 1 when one or more failed or
# timed out, 2 on a usage error or when there is nothing to run.
# Environment passed through as is: MSTRO_GFS_DIR, MSTRO_MIO_CONF,
# MSTRO_MIO_POOL, FI_PROVIDER, ... (transport_store measures MIO only with
# MSTRO_MIO_CONF; start a cluster with scripts/ceph-start.sh).
set -uo pipefail
export LC_ALL=C

top=$(cd "$(dirname "$0")/.." && pwd)
quick=0
build=$top/build
out=$top/bench-results
limit=
only=()
ceph=0

usage() {
  sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --build) [ $# -ge 2 ] || usage; build=$2; shift ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift ;;
    --only) [ $# -ge 2 ] || usage; only+=("$2"); shift ;;
    --timeout) [ $# -ge 2 ] || usage; limit=$2; shift ;;
    --ceph) ceph=1 ;;
    -h|--help) usage ;;
    *) echo "bench-all: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done
[ -n "$limit" ] || { if [ $quick = 1 ]; then limit=300; else limit=1800; fi; }

bdir=$build/benchmarks
if [ ! -d "$bdir" ]; then
  echo "bench-all: no $bdir (build first: scripts/build.sh, or pass --build DIR)" >&2
  exit 2
fi
benches=()
for f in "$bdir"/*; do
  [ -f "$f" ] && [ -x "$f" ] || continue
  name=$(basename "$f")
  if [ ${#only[@]} -gt 0 ]; then
    keep=0
    for o in "${only[@]}"; do [ "$o" = "$name" ] && keep=1; done
    [ $keep = 1 ] || continue
  fi
  benches+=("$name")
done
if [ ${#benches[@]} -eq 0 ]; then
  echo "bench-all: no benchmark binaries to run in $bdir" >&2
  exit 2
fi

host=$(hostname -s 2>/dev/null || echo host)
run_id=$(date -u +%Y%m%dT%H%M%SZ)-$host
[ $quick = 1 ] && run_id=$run_id-quick
rdir=$out/$run_id
mkdir -p "$rdir/logs" || exit 2
rdir=$(cd "$rdir" && pwd)

# ---- optional Ceph cluster for MIO -----------------------------------------
ceph_dir=
stop_ceph() { [ -n "$ceph_dir" ] && "$top/scripts/ceph-stop.sh" "$ceph_dir" >/dev/null 2>&1; ceph_dir=; }
trap stop_ceph EXIT
trap 'exit 130' INT TERM
if [ $ceph = 1 ]; then
  ceph_dir=$rdir/ceph
  echo "bench-all: starting a Ceph cluster in $ceph_dir for MIO"
  if conf=$("$top/scripts/ceph-start.sh" "$ceph_dir" maestro 2>"$rdir/logs/ceph-start.log"); then
    export MSTRO_MIO_CONF=$conf MSTRO_MIO_POOL=maestro
  else
    echo "bench-all: Ceph did not start (logs/ceph-start.log): MIO will be skipped" >&2
    ceph_dir=
  fi
fi

# ---- machine description -------------------------------------------------
loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime; }
{
  echo "run_id: $run_id"
  echo "date_utc: $(date -u '+%Y-%m-%d %H:%M:%S')"
  echo "host: $host"
  echo "mode: $([ $quick = 1 ] && echo quick || echo full)"
  model=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null)
  [ -n "$model" ] || model=$(lscpu 2>/dev/null | awk -F': *' '/Model name/ {print $2; exit}')
  echo "cpu_model: ${model:-unknown}"
  echo "cores_online: $(nproc 2>/dev/null || echo unknown)"
  if command -v lscpu >/dev/null; then
    lscpu | awk -F': *' '
      /^Socket\(s\)/ {print "cpu_sockets: " $2} /^Core\(s\) per socket/ {print "cpu_cores_per_socket: " $2}
      /^Thread\(s\) per core/ {print "cpu_threads_per_core: " $2} /^NUMA node\(s\)/ {print "numa_nodes: " $2}
      /^L3 cache/ {print "cpu_l3_cache: " $2}
      /^Flags/ { n = split($2, f, " "); v = ""
        for (i = 1; i <= n; i++) if (f[i] ~ /^(avx|avx2|avx512f|sse4_2|asimd|sve)$/) v = v (v == "" ? "" : " ") f[i]
        print "cpu_simd: " v }'
  fi
  echo "memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo 2>/dev/null)"
  echo "kernel: $(uname -srm)"
  os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
  echo "os: ${os:-unknown}"
  echo "compiler: $(awk -F= '/^CMAKE_C_COMPILER:/ {print $2}' "$build/CMakeCache.txt" 2>/dev/null) $( (cc --version 2>/dev/null || true) | head -1)"
  echo "build_dir: $(cd "$build" && pwd)"
  echo "build_type: $(awk -F= '/^CMAKE_BUILD_TYPE:/ {print $2}' "$build/CMakeCache.txt" 2>/dev/null)"
  # the commit of the sources the benchmarks were built from (a git tree, or a
  # snapshot made with git archive that has its commit in .git-commit)
  srcdir=$(awk -F= '/^CMAKE_HOME_DIRECTORY:/ {print $2}' "$build/CMakeCache.txt" 2>/dev/null)
  srcdir=${srcdir:-$top}
  commit=$(git -C "$srcdir" describe --always --dirty 2>/dev/null || cat "$srcdir/.git-commit" 2>/dev/null || echo unknown)
  echo "source: $srcdir"
  echo "git_commit: $commit"
  if command -v fi_info >/dev/null; then
    echo "libfabric: $(fi_info --version 2>/dev/null | awk -F': *' '/^libfabric:/ {print $2}')"
    echo "libfabric_providers: $(fi_info -l 2>/dev/null | awk '/^[^ \t].*:$/ {sub(/:$/, ""); printf "%s%s", s, $0; s=" "}')"
  else
    echo "libfabric: none (fi_info not found)"
    echo "libfabric_providers: none"
  fi
  if command -v nvidia-smi >/dev/null && gpus=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null) && [ -n "$gpus" ]; then
    echo "cuda: $(echo "$gpus" | paste -sd ';' -)"
  else
    echo "cuda: none"
  fi
  echo "env: FI_PROVIDER=${FI_PROVIDER:-} MSTRO_OFI_PROVIDER=${MSTRO_OFI_PROVIDER:-} MSTRO_GFS_DIR=${MSTRO_GFS_DIR:-} MSTRO_MIO_CONF=${MSTRO_MIO_CONF:-}"
  echo "loadavg_start: $(loadavg)"
} >"$rdir/machine.txt"

echo "run_id,benchmark,case,value,unit,baseline,ratio" >"$rdir/results.csv"
echo "run_id,benchmark,status,exit_code,seconds,bench_lines" >"$rdir/status.csv"
: >"$rdir/skips.txt"

echo "bench-all: ${#benches[@]} benchmarks from $bdir -> $rdir"
sed 's/^/  /' "$rdir/machine.txt"
failed=()
for b in "${benches[@]}"; do
  log=$rdir/logs/$b.log
  args=()
  [ $quick = 1 ] && args+=(--quick)
  printf 'bench-all: %-22s ... ' "$b"
  t0=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "$bdir/$b" "${args[@]}" >"$log" 2>&1 </dev/null
  rc=$?
  secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  # BENCH <benchmark> <case> value=.. unit=.. baseline=.. ratio=..
  awk -v run="$run_id" -v bench="$b" -v csv="$rdir/results.csv" -v bad="$rdir/logs/$b.malformed" '
    $1 == "BENCH" {
      v = ""; u = ""; bl = ""; r = ""
      for (i = 4; i <= NF; i++) {
        split($i, kv, "=")
        if (kv[1] == "value") v = kv[2]; else if (kv[1] == "unit") u = kv[2]
        else if (kv[1] == "baseline") bl = kv[2]; else if (kv[1] == "ratio") r = kv[2]
      }
      if (NF < 7 || v == "" || u == "" || bl == "" || r == "" || $3 ~ /,/) { print > bad; next }
      if ($2 != bench) print "# note: BENCH line names benchmark " $2 " in " bench > bad
      print run "," $2 "," $3 "," v "," u "," bl "," r >> csv
      n++
    }
    END { print n + 0 }' "$log" >"$rdir/.count"
  nb=$(cat "$rdir/.count")
  grep -i 'skip' "$log" | sed "s/^/$b: /" >>"$rdir/skips.txt"
  if [ $rc = 124 ] || [ $rc = 137 ]; then
    st=timeout
  elif [ $rc != 0 ]; then
    st=failed
  elif [ "$nb" = 0 ]; then
    if grep -qi 'skip' "$log"; then st=skipped; else st=failed; echo "no BENCH line" >>"$log"; fi
  else
    st=ok
  fi
  echo "$run_id,$b,$st,$rc,$secs,$nb" >>"$rdir/status.csv"
  echo "$st ($nb BENCH lines, ${secs}s, exit $rc)"
  [ -s "$rdir/logs/$b.malformed" ] && echo "bench-all:   malformed BENCH lines of $b in logs/$b.malformed"
  if [ $st = failed ] || [ $st = timeout ]; then
    failed+=("$b")
    tail -5 "$log" | sed 's/^/    | /'
  fi
done
rm -f "$rdir/.count"
stop_ceph
echo "loadavg_end: $(loadavg)" >>"$rdir/machine.txt"
ln -sfn "$run_id" "$out/latest" 2>/dev/null || true

rows=$(($(wc -l <"$rdir/results.csv") - 1))
echo "bench-all: $rows measurements in $rdir/results.csv"
if [ -s "$rdir/skips.txt" ]; then
  echo "bench-all: skipped parts:"
  sed 's/^/  /' "$rdir/skips.txt"
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench-all: FAILED: ${failed[*]} (logs in $rdir/logs/)" >&2
  exit 1
fi
echo "bench-all: all ${#benches[@]} benchmarks ran"
exit 0
