#!/usr/bin/env bash
# Starts a Maestro Pool Manager, exports its contact string and runs a list of
# components against it, then stops the PM (what users otherwise write by hand,
# DESIGN.md section 4).
#
#   scripts/mstro-launch.sh [--pm PATH] [--workflow NAME] [--timeout S] [--pm-env NAME=VALUE]...
#                           -- CMD1 [ARGS] [-- CMD2 ...]
#
# Components separated by `--` run concurrently; the script waits for all of
# them and exits with the first non-zero status (0 if all succeeded). The PM
# runs with --exit-when-idle and is stopped with SIGTERM in any case; every
# process started here is cleaned up on exit, also on failure or Ctrl-C.
# --timeout S (default 300) kills components that run longer. --pm-env sets a
# variable for the PM only (e.g. MSTRO_TRANSPORT_DEFAULT=GFS: the PM decides
# the workflow's transport and tells the components).
set -uo pipefail

pm_bin=${MSTRO_PM_BIN:-}
workflow=${MSTRO_WORKFLOW_NAME:-maestro-launch}
timeout_s=300
pm_env=()
while [ $# -gt 0 ]; do
  case "$1" in
    --pm) pm_bin=$2; shift 2 ;;
    --workflow) workflow=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --pm-env) case "$2" in
                [A-Za-z_]*=*) pm_env+=("$2") ;;
                *) echo "mstro-launch: --pm-env wants NAME=VALUE, not '$2'" >&2; exit 2 ;;
              esac
              shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "mstro-launch: unknown option '$1' (components follow '--')" >&2; exit 2 ;;
  esac
done
if [ -z "$pm_bin" ]; then
  pm_bin=$(command -v maestro-pm || true)
  top=$(cd "$(dirname "$0")/.." && pwd)
  for c in "$top/build/pm/maestro-pm" "$top/build-x/pm/maestro-pm"; do
    [ -z "$pm_bin" ] && [ -x "$c" ] && pm_bin=$c
  done
fi
[ -x "$pm_bin" ] || { echo "mstro-launch: no maestro-pm (use --pm PATH)" >&2; exit 2; }
[ $# -gt 0 ] || { echo "mstro-launch: no components given" >&2; exit 2; }

pids=()
pm_pid=
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  if [ -n "$pm_pid" ]; then
    kill -TERM "$pm_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pm_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pm_pid" 2>/dev/null
  fi
  exec 3<&- 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# DESIGN.md section 4: read the PM's contact string from its stdout.
exec 3< <(exec env "${pm_env[@]}" "$pm_bin" --workflow "$workflow" --exit-when-idle)
pm_pid=$!
if ! read -t 30 -d ';' -u 3 pm_info_varname || [ "$pm_info_varname" != MSTRO_POOL_MANAGER_INFO ] ||
   ! read -t 5 -d ';' -u 3 pm_info; then
  echo "mstro-launch: the Pool Manager did not print its contact string" >&2
  exit 1
fi
export MSTRO_POOL_MANAGER_INFO="$pm_info"
export MSTRO_WORKFLOW_NAME="$workflow"

cmd=()
start() {
  [ ${#cmd[@]} -gt 0 ] || return 0
  timeout -s KILL "$timeout_s" "${cmd[@]}" &
  pids+=($!)
  cmd=()
}
for a in "$@"; do
  if [ "$a" = "--" ]; then start; else cmd+=("$a"); fi
done
start

rc=0
for p in "${pids[@]}"; do
  wait "$p"; s=$?
  [ $rc -eq 0 ] && [ $s -ne 0 ] && rc=$s
done
pids=()
exit $rc
