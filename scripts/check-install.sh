#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs the build tree into a temporary prefix, then builds a five-line
# program against it twice: with `pkg-config --cflags --libs maestro` and with
# CMake's find_package(maestro); and a program that calls mstro_pm_* (declared
# by maestro.h) linked the same two ways, naming no PM library.
# Usage: check-install.sh <build-dir> [cflags]
# (cflags: the sanitizer flags of a sanitized build, which its clients need too).
set -euo pipefail
build=$(cd "$1" && pwd)
xflags=${2:-}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cmake --install "$build" --prefix "$t/prefix" >"$t/install.log" || { cat "$t/install.log"; exit 1; }
libdir=$(find "$t/prefix" -name maestro.pc -printf '%h\n' | head -1)
[ -n "$libdir" ] || { echo "check-install: maestro.pc not installed"; exit 1; }
[ -x "$t/prefix/bin/maestro-pm" ] || { echo "check-install: maestro-pm not installed to bin/"; exit 1; }
# Installed programs must find the libraries without LD_LIBRARY_PATH.
if ldd "$t/prefix/bin/maestro-pm" | grep -q "not found" || ! "$t/prefix/bin/maestro-pm" --version >/dev/null; then
  echo "check-install: installed maestro-pm cannot find its libraries:"; ldd "$t/prefix/bin/maestro-pm"; exit 1
fi
# Every installed program answers --help and --version with exit status 0 and
# something on stdout; the demos are not installed (tests/demo/CMakeLists.txt).
for prog in "$t/prefix/bin/"*; do
  for opt in --help --version; do
    out=$("$prog" "$opt" 2>&1) && [ -n "$out" ] ||
      { echo "check-install: '$(basename "$prog") $opt' failed or printed nothing: $out"; exit 1; }
  done
  # ... and has its man page, made from that --help (scripts/gen-man.sh)
  page="$t/prefix/share/man/man1/$(basename "$prog").1"
  grep -q '^\.SH OPTIONS' "$page" 2>/dev/null ||
    { echo "check-install: no man page (with OPTIONS) for $(basename "$prog") at $page"; exit 1; }
done
[ -x "$t/prefix/bin/mstro-launch" ] || { echo "check-install: mstro-launch not installed to bin/"; exit 1; }
"$t/prefix/bin/mstro-launch" --version | grep -q "maestro) [0-9]" ||
  { echo "check-install: mstro-launch --version has no version"; exit 1; }
for demo in demo_mvp_d3_2 simple_archiver simple_telemetry_listener pm_component; do
  [ ! -e "$t/prefix/bin/$demo" ] || { echo "check-install: test program $demo installed"; exit 1; }
done

cat >"$t/hello.c" <<'C'
#include <maestro.h>
#include <stdio.h>
int main(void) {
  printf("maestro %s: %s\n", mstro_version(), mstro_status_description(MSTRO_OK));
  return 0;
}
C
export PKG_CONFIG_PATH="$libdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
# shellcheck disable=SC2046
# shellcheck disable=SC2086
cc $xflags -o "$t/hello" "$t/hello.c" $(pkg-config --cflags --libs maestro) -Wl,-rpath,"$(pkg-config --variable=libdir maestro)"
"$t/hello" | grep -q "maestro .*: success" || { echo "check-install: pkg-config program failed"; exit 1; }

# Every function maestro.h declares links with the maestro package alone: the
# PM calls too, and mstro_pm_start serves the workflow given to mstro_init.
cat >"$t/pm.c" <<'C'
#include <maestro.h>
#include <stdio.h>
#include <stdlib.h>
int main(void) {
  char *info = NULL;
  if (mstro_init("check-install-wf", "pm-host", 0) != MSTRO_OK) return 1;
  mstro_status s = mstro_pm_start();
  if (s == MSTRO_TRANSPORT) { puts("SKIP no fabric endpoint"); mstro_finalize(); return 0; }
  if (s != MSTRO_OK || mstro_pm_getinfo(&info) != MSTRO_OK) {
    printf("pm: %s\n", mstro_status_description(s)); return 1;
  }
  printf("pm ok %s\n", info);
  free(info);
  if (mstro_pm_terminate() != MSTRO_OK || mstro_finalize() != MSTRO_OK) return 1;
  return 0;
}
C
unset MSTRO_WORKFLOW_NAME
export FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo
# shellcheck disable=SC2046
# shellcheck disable=SC2086
cc $xflags -o "$t/pm" "$t/pm.c" $(pkg-config --cflags --libs maestro) -Wl,-rpath,"$(pkg-config --variable=libdir maestro)"
"$t/pm" >"$t/pm.out" 2>&1 && grep -q "^pm ok\|^SKIP" "$t/pm.out" ||
  { echo "check-install: pkg-config PM program failed:"; cat "$t/pm.out"; exit 1; }

for pc in mamba lyt maestro-transport maestro-pm; do
  pkg-config --exists "$pc" || { echo "check-install: $pc.pc missing or broken"; exit 1; }
done

mkdir -p "$t/cm"
cp "$t/hello.c" "$t/pm.c" "$t/cm/"
cat >"$t/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(hello C)
find_package(maestro REQUIRED)
add_executable(hello hello.c)
target_link_libraries(hello PRIVATE maestro::maestro)
add_executable(pm pm.c)
target_link_libraries(pm PRIVATE maestro::maestro)
CM
cmake -S "$t/cm" -B "$t/cm/build" -DCMAKE_PREFIX_PATH="$t/prefix" -DCMAKE_C_FLAGS="$xflags" >"$t/cm.log" 2>&1 || { cat "$t/cm.log"; exit 1; }
cmake --build "$t/cm/build" >>"$t/cm.log" 2>&1 || { cat "$t/cm.log"; exit 1; }
LD_LIBRARY_PATH="$libdir/..:${LD_LIBRARY_PATH:-}" "$t/cm/build/hello" | grep -q "success" ||
  { echo "check-install: find_package program failed"; exit 1; }
LD_LIBRARY_PATH="$libdir/..:${LD_LIBRARY_PATH:-}" "$t/cm/build/pm" >"$t/pm.out" 2>&1 &&
  grep -q "^pm ok\|^SKIP" "$t/pm.out" ||
  { echo "check-install: find_package PM program failed:"; cat "$t/pm.out"; exit 1; }
echo "check-install: pkg-config and find_package(maestro) programs build and run, mstro_pm_* included"
