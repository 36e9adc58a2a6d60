# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the check_*.sh scripts of tests/components: a temporary
# directory, every process started killed on exit, waiting helpers, the PM
# started on loopback. Needs $tmp_name set by the caller.
set -uo pipefail
export FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo
tmp=$(mktemp -d "${TMPDIR:-/tmp}/${tmp_name}.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$tmp"/*.out "$tmp"/*.log; do echo "--- $f"; cat "$f"; done; exit 1; }
wait_for() { # FILE PATTERN SECONDS
  for _ in $(seq $(($3 * 10))); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
wait_pid() { # PID SECONDS: its exit status, 124 if still running
  for _ in $(seq $(($2 * 10))); do kill -0 "$1" 2>/dev/null || { wait "$1"; return; }; sleep 0.1; done
  return 124
}
start_pm() { # WORKFLOW
  export MSTRO_WORKFLOW_NAME=$1 MSTRO_PM_TIMEOUT=30
  exec 3< <(MSTRO_LOG_LEVEL=info exec "$pm" --workflow "$1" 2>"$tmp/pm.log")
  pids+=($!)
  read -t 30 -d ';' -u 3 _name && read -t 5 -d ';' -u 3 info || fail "no PM contact string"
  export MSTRO_POOL_MANAGER_INFO=$info
}
