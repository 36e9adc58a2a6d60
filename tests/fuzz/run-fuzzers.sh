#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The fuzz stage of CI (scripts/run-tests.sh): builds every libFuzzer harness
# with clang, ASan and UBSan in its own build directory and runs each for a
# bounded time on a scratch copy of its corpus. A crash, a leak, an
# out-of-memory (-rss_limit_mb, which is also the limit of one malloc) or a
# slow unit (-timeout) fails the stage; each harness gets one line:
#   fuzz <harness>: PASS (<runs> runs, <n> new units, peak RSS <m> MB, corpus <dir>)
#   fuzz <harness>: FAIL (<why>; reproducer <file>; log <file>)
#
# Usage: tests/fuzz/run-fuzzers.sh [build-dir]       (default: build-fuzz)
#   MSTRO_FUZZ_SECONDS=30   time per harness
#   MSTRO_FUZZ_SAVE=1       merge the new units into the corpora of the
#                           checkout (otherwise the checkout is not written)
# A reproducer is replayed with: <build-dir>/<path of the harness> <file>;
# add it to the harness's corpus (below) once fixed, so the corpus grows with
# every finding.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$top/build-fuzz}
secs=${MSTRO_FUZZ_SECONDS:-30}

# harness  binary (under the build dir)  corpus (under the checkout)
harnesses=(
  "fuzz_selector     tests/fuzz/fuzz_selector       tests/fuzz/corpus/selector"
  "fuzz_schema       tests/fuzz/fuzz_schema         tests/fuzz/corpus/schema"
  "fuzz_attr_yaml    tests/fuzz/fuzz_attr_yaml      tests/fuzz/corpus/attr_yaml"
  "fuzz_attr_decode  tests/fuzz/fuzz_attr_decode    tests/fuzz/corpus/attr_decode"
  "protocol_fuzz     tests/fuzz/protocol_fuzz       tests/fuzz/corpus/protocol"
  "fuzz_lyt_dist     tests/layout/fuzz_lyt_dist     tests/layout/corpus/dist"
)

cc=$(command -v clang || command -v clang-14 || true)
if [ -z "$cc" ]; then
  echo "fuzz: FAIL (no clang: scripts/install-deps.sh installs clang and libclang-rt-dev)"
  exit 1
fi
targets=()
for h in "${harnesses[@]}"; do
  read -r name _ <<<"$h"
  targets+=("$name")
done
CC=$cc CXX=${cc/clang/clang++} cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMSTRO_FUZZ=ON -DMSTRO_SANITIZE=address -DMSTRO_BUILD_BENCHMARKS=OFF >"$dir.configure.log" 2>&1 ||
  { cat "$dir.configure.log"; echo "fuzz: FAIL (configure)"; exit 1; }
cmake --build "$dir" -j"$(nproc 2>/dev/null || echo 2)" --target "${targets[@]}" ||
  { echo "fuzz: FAIL (build)"; exit 1; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/mstro-fuzz.XXXXXX")
artifacts=$dir/fuzz-artifacts
rm -rf "$artifacts"
mkdir -p "$artifacts"
cleanup() { rm -rf "$scratch"; }
trap cleanup EXIT

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Loopback only, should a harness ever reach the transport.
export FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo

status=0
for h in "${harnesses[@]}"; do
  read -r name bin corpus <<<"$h"
  work=$scratch/$name
  mkdir -p "$work/corpus" "$artifacts/$name"
  [ -d "$top/$corpus" ] && cp -r "$top/$corpus/." "$work/corpus/"
  seeds=$(find "$work/corpus" -type f | wc -l)
  log=$artifacts/$name/log
  rc=0
  "$dir/$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$name/" "$work/corpus" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  repro=$(find "$artifacts/$name" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'oom-*' \
    -o -name 'timeout-*' -o -name 'slow-unit-*' \) | head -n 1)
  if [ "$rc" -eq 0 ] && [ -z "$repro" ]; then
    new=$(($(find "$work/corpus" -type f | wc -l) - seeds))
    echo "fuzz $name: PASS (${runs:-?} runs, $new new units, peak RSS ${rss:-?} MB, corpus $corpus)"
    if [ "${MSTRO_FUZZ_SAVE:-0}" = 1 ]; then
      mkdir -p "$top/$corpus"
      "$dir/$bin" -merge=1 "$top/$corpus" "$work/corpus" >>"$log" 2>&1 ||
        echo "fuzz $name: merging into $corpus failed (see $log)"
    fi
  else
    why=$(grep -m1 -oE 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer): [a-z-]+|runtime error|SUMMARY: [A-Za-z]+: [a-z-]+' "$log" || echo "exit $rc")
    echo "fuzz $name: FAIL ($why; reproducer ${repro:-none}; log $log)"
    tail -n 40 "$log"
    status=1
  fi
done
exit $status
