#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Starts a Maestro Pool Manager, exports its contact string and runs a list of
# components against it, then stops the PM (what users otherwise write by hand,
# DESIGN.md section 4).
#
# Installed as `mstro-launch`; `mstro-launch --help` documents the options.
# The PM runs with --exit-when-idle and is stopped with SIGTERM in any case.
set -uo pipefail

# Replaced by the version when installed as `mstro-launch`; from the source
# tree the version is read from the top CMakeLists.txt.
version="@PROJECT_VERSION@"
here=$(cd "$(dirname "$0")" && pwd)
if [ "${version#@}" != "$version" ]; then
  version=$(sed -n 's/^project(maestro VERSION \([0-9.]*\).*/\1/p' "$here/../CMakeLists.txt" 2>/dev/null)
fi

usage() {
  cat <<EOF
Usage: mstro-launch [options] -- CMD1 [ARGS...] [-- CMD2 [ARGS...] ...]

Starts a Maestro Pool Manager (maestro-pm --exit-when-idle), exports its
contact string in MSTRO_POOL_MANAGER_INFO and the workflow name in
MSTRO_WORKFLOW_NAME, runs the components (the commands between '--')
concurrently, waits for all of them and stops the PM. Every process started
here is cleaned up on exit, also on failure or Ctrl-C.

Options:
  -p, --pm=PATH          the maestro-pm to run (default: \$MSTRO_PM_BIN, else the
                         maestro-pm next to this script, else the one on PATH,
                         else the build tree's)
  -w, --workflow=NAME    workflow name (default: \$MSTRO_WORKFLOW_NAME, else
                         maestro-launch)
  -t, --timeout=S        kill components that run longer than S seconds
                         (default 300)
  -e, --pm-env=NAME=VALUE
                         set a variable for the PM only (repeatable), e.g.
                         MSTRO_TRANSPORT_DEFAULT=GFS: the PM decides the
                         workflow's transport and tells the components
  -h, --help             this text
  -V, --version          the version of Maestro this script belongs to

Exit status: the first non-zero status of a component, 0 if all succeeded;
1 when the PM does not start; 2 for a usage error.

Examples:
  mstro-launch --workflow=demo -- ./producer -n 8 -- ./consumer -n 8
  mstro-launch --pm-env MSTRO_TRANSPORT_DEFAULT=GFS -- ./app producer -- ./app consumer
EOF
}

pm_bin=${MSTRO_PM_BIN:-}
workflow=${MSTRO_WORKFLOW_NAME:-maestro-launch}
timeout_s=300
pm_env=()
need_value() {
  [ $# -ge 2 ] || { echo "mstro-launch: $1 needs a value" >&2; exit 2; }
}
while [ $# -gt 0 ]; do
  # --name=value is the same as --name value
  case "$1" in
    --*=*) opt=$1; shift; set -- "${opt%%=*}" "${opt#*=}" "$@" ;;
  esac
  case "$1" in
    -p|--pm) need_value "$@"; pm_bin=$2; shift 2 ;;
    -w|--workflow) need_value "$@"; workflow=$2; shift 2 ;;
    -t|--timeout) need_value "$@"
                  case "$2" in
                    ''|*[!0-9]*) echo "mstro-launch: --timeout wants seconds, not '$2'" >&2; exit 2 ;;
                  esac
                  timeout_s=$2; shift 2 ;;
    -e|--pm-env) need_value "$@"
                 case "$2" in
                   [A-Za-z_]*=*) pm_env+=("$2") ;;
                   *) echo "mstro-launch: --pm-env wants NAME=VALUE, not '$2'" >&2; exit 2 ;;
                 esac
                 shift 2 ;;
    --) shift; break ;;
    -h|--help) usage; exit 0 ;;
    -V|--version) echo "mstro-launch (maestro) $version"; exit 0 ;;
    *) echo "mstro-launch: unknown option '$1' (components follow '--'; see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$pm_bin" ] && [ -x "$here/maestro-pm" ]; then
  pm_bin=$here/maestro-pm
fi
if [ -z "$pm_bin" ]; then
  pm_bin=$(command -v maestro-pm || true)
  top=$(cd "$here/.." && pwd)
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
