#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, then builds a five-line
# program against it twice: with `pkg-config --cflags --libs maestro` and with
# CMake's find_package(maestro). Usage: check-install.sh <build-dir> [cflags]
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
for pc in mamba lyt maestro-transport maestro-pm; do
  pkg-config --exists "$pc" || { echo "check-install: $pc.pc missing or broken"; exit 1; }
done

mkdir -p "$t/cm"
cp "$t/hello.c" "$t/cm/"
cat >"$t/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.20)
project(hello C)
find_package(maestro REQUIRED)
add_executable(hello hello.c)
target_link_libraries(hello PRIVATE maestro::maestro)
CM
cmake -S "$t/cm" -B "$t/cm/build" -DCMAKE_PREFIX_PATH="$t/prefix" -DCMAKE_C_FLAGS="$xflags" >"$t/cm.log" 2>&1 || { cat "$t/cm.log"; exit 1; }
cmake --build "$t/cm/build" >>"$t/cm.log" 2>&1 || { cat "$t/cm.log"; exit 1; }
LD_LIBRARY_PATH="$libdir/..:${LD_LIBRARY_PATH:-}" "$t/cm/build/hello" | grep -q "success" ||
  { echo "check-install: find_package program failed"; exit 1; }
echo "check-install: pkg-config and find_package(maestro) programs build and run"
