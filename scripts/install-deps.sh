#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Installs every Debian package that the build, the tests, the demos and the
# reports need; skips what is present; fails with a clear message otherwise.
# Usage: scripts/install-deps.sh [--check]   (--check: only report what is missing)
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake pkg-config git
  # libraries the stack links
  libfabric-dev libfabric-bin libhwloc-dev hwloc libnuma-dev libyaml-dev
  libprotobuf-c-dev protobuf-c-compiler
  # tests
  libcmocka-dev iproute2 procps python3-numpy
  # object store (MIO transport and its tests: a throwaway single-node Ceph)
  librados-dev ceph-mon ceph-osd ceph-common uuid-runtime
  # reports and documentation
  gnuplot-nox doxygen
  # format, analysis, sanitizer runtimes
  clang clang-format clang-tidy libclang-rt-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "install-deps: missing: ${missing[*]}"
if [ "${1:-}" = "--check" ]; then
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    SUDO="sudo"
  else
    echo "install-deps: not root and no sudo: install these packages as root: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq; then
  echo "install-deps: 'apt-get update' failed: is Debian's package archive reachable?" >&2
  exit 1
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  echo "install-deps: apt-get could not install: ${missing[*]}" >&2
  exit 1
fi
# Verify: a package that apt-get reported as installed but is not is an error.
still=()
for p in "${missing[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || still+=("$p")
done
if [ ${#still[@]} -ne 0 ]; then
  echo "install-deps: still missing after install: ${still[*]}" >&2
  exit 1
fi
echo "install-deps: installed ${missing[*]}"
