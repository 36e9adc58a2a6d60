#!/usr/bin/env bash
# The main command of the README: install the dependencies, build, and run the
# demonstrator. Until the Pool Manager lands this is the local multi-threaded
# demo (producers, consumers and archivers as threads of one process).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/install-deps.sh
scripts/build.sh plain
exec build/bin/demo_mvp_d3_2 "$@"
