#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main command of the README: install the dependencies, build, and run the
# cross-application demonstrator: a Pool Manager (maestro-pm), a producer and a
# consumer as three processes on loopback, started by scripts/mstro-launch.sh;
# the consumer checks every byte and attribute and prints what moved and how
# fast. Data move by MSTRO_TRANSPORT_DEFAULT (default OFI: one-sided RMA reads).
#
#   scripts/run-demo.sh [-n COUNT] [-s SIZE] [--2d [--colmajor]]
#   scripts/run-demo.sh --local [demo_mvp_d3_2 arguments]   # the in-process demo
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/install-deps.sh
scripts/build.sh plain
if [ "${1:-}" = "--local" ]; then
  shift
  exec build/bin/demo_mvp_d3_2 "$@"
fi
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(-n 8 -s 64M)
echo "Pool Manager + producer + consumer on loopback (transport ${MSTRO_TRANSPORT_DEFAULT:-OFI}):"
exec scripts/mstro-launch.sh --pm build/pm/maestro-pm --workflow demo -- \
  build/bin/pm_component producer "${args[@]}" -- build/bin/pm_component consumer "${args[@]}"
