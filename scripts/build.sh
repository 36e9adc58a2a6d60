#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Configure and build one variant of the project.
# Usage: scripts/build.sh [plain|asan|tsan] [build-dir]   (default: plain build)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
variant=${1:-plain}
case $variant in
  plain) dir=${2:-$top/build}; extra=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DMSTRO_WERROR=ON) ;;
  asan)  dir=${2:-$top/build-asan}; extra=(-DCMAKE_BUILD_TYPE=Debug -DMSTRO_SANITIZE=address -DMSTRO_BUILD_BENCHMARKS=OFF) ;;
  tsan)  dir=${2:-$top/build-tsan}; extra=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DMSTRO_SANITIZE=thread -DMSTRO_BUILD_BENCHMARKS=OFF) ;;
  *) echo "build.sh: unknown variant '$variant' (plain, asan, tsan)" >&2; exit 2 ;;
esac
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$top" -B "$dir" "${extra[@]}" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" -j"$jobs"
