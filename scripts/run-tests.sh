#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The test command of the README (and of CI): install the dependencies, build,
# and run the whole suite through ctest: once in a plain build (warnings are
# errors), once under ASan+UBSan and once under TSan; and every libFuzzer
# harness for a bounded time (tests/fuzz/run-fuzzers.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/install-deps.sh

status=0
run_ctest() { # dir, extra ctest args...
  local dir=$1
  shift
  (cd "$dir" && ctest --output-on-failure --timeout 600 "$@") || status=1
}

echo "=== plain build (RelWithDebInfo, -Werror) ==="
scripts/build.sh plain
echo "=== format check (clang-format, .clang-format) ==="
cmake --build build --target format-check || status=1
# known-bug: tests that find open bugs (each says which); run them with -L known-bug
run_ctest build -LE known-bug

echo "=== ASan+UBSan build ==="
scripts/build.sh asan
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
  run_ctest build-asan -LE 'bench|no-asan|known-bug'

echo "=== fuzz: every libFuzzer harness, clang + ASan/UBSan, ${MSTRO_FUZZ_SECONDS:-30} s each ==="
tests/fuzz/run-fuzzers.sh "$top/build-fuzz" || status=1

echo "=== TSan build (whole suite) ==="
scripts/build.sh tsan
TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:die_after_fork=0:suppressions=$top/tests/tsan.supp} \
  run_ctest build-tsan -LE 'bench|no-tsan|known-bug'

exit $status
