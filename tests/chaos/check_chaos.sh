#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Chaos rounds on loopback: a Pool Manager, a producer, a consumer and an
# archiver (tests/demo/simple_archiver --pm) run a workflow while one of them,
# chosen at random, is killed (SIGKILL) or stopped (SIGSTOP, then SIGCONT
# after 1-3 s, less than MSTRO_PM_TIMEOUT) at a random time. A supervisor's
# part is played for killed components: a killed producer or consumer is
# restarted under the same name once the PM has dropped it; a killed PM ends
# the round (a new PM serves the next). Invariants checked every round:
#   - no wrong byte: the consumer checks every byte (pm_component), and what
#     the archiver wrote is compared with what the producer offered;
#   - every survivor exits within MSTRO_PM_TIMEOUT + GRACE seconds of the
#     fault, with status 0 or a clear error line (never a signal);
#   - no core file (cores are enabled and land in the work directory);
#   - the PM's RSS and open descriptors stay under bounds (VmRSS and
#     /proc/<pid>/fd, read each round).
# The PM lives across rounds unless it is the victim, so its growth shows.
# It drops a member silent for 5 s (heartbeats every 200 ms, grace 25), more
# than the longest stop: a stop is a scheduling gap here, not a death.
#
#   check_chaos.sh MAESTRO_PM PM_COMPONENT SIMPLE_ARCHIVER
#   CHAOS_SECONDS=150  time budget (rounds start while it lasts)
#   CHAOS_SEED=<n>     reproduces a run (printed at the start)
#   CHAOS_SIZE=1M CHAOS_COUNT=120  the workflow of a round
#   CHAOS_RSS_MB=512 CHAOS_FDS=256  the PM's bounds
#   CHAOS_VICTIMS="pm producer consumer archiver"  who may be hit
set -uo pipefail
pm=$(readlink -f "$1") comp=$(readlink -f "$2") archiver=$(readlink -f "$3")
budget=${CHAOS_SECONDS:-150}
seed=${CHAOS_SEED:-$(($$ ^ $(date +%s)))}
size=${CHAOS_SIZE:-1M} count=${CHAOS_COUNT:-120}
rss_bound=${CHAOS_RSS_MB:-512} fd_bound=${CHAOS_FDS:-256}
grace=${CHAOS_GRACE:-30}
read -r -a roles <<<"${CHAOS_VICTIMS:-pm producer consumer archiver}"
RANDOM=$seed
echo "chaos: seed $seed (CHAOS_SEED=$seed reproduces the sequence), budget $budget s"

export FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo FI_PROVIDER=${FI_PROVIDER:-tcp;ofi_rxm}
export MSTRO_WORKFLOW_NAME=chaos-$$ MSTRO_TRANSPORT_DEFAULT=OFI MSTRO_PM_TIMEOUT=${MSTRO_PM_TIMEOUT:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/chaos.XXXXXX")
cd "$work" || exit 1
ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -H -c)" 2>/dev/null
pids=()
pm_pid=
cleanup() {
  for p in "${pids[@]}" $pm_pid; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "${keep:-0}" = 1 ]; then echo "chaos: logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
  echo "FAIL (round $round, seed $seed): $*"
  for f in "$work"/r$round-*.log "$work"/pm-$pm_gen.log; do
    [ -e "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
  done
  keep=1
  exit 1
}

pm_gen=0
start_pm() {
  pm_gen=$((pm_gen + 1))
  exec 3< <(MSTRO_LOG_LEVEL=info exec "$pm" --workflow "$MSTRO_WORKFLOW_NAME" --heartbeat-ms 200 --heartbeat-grace 25 \
    2>"$work/pm-$pm_gen.log")
  pm_pid=$!
  info=
  read -t 30 -d ';' -u 3 _ && read -t 5 -d ';' -u 3 info
  [ -n "$info" ] || fail "no PM contact string"
  export MSTRO_POOL_MANAGER_INFO=$info
}

pm_bounds() { # WHEN: VmRSS and open descriptors of the PM
  alive "$pm_pid" || return 0
  local rss fds
  rss=$(awk '/^VmRSS:/ {print int($2 / 1024)}' "/proc/$pm_pid/status" 2>/dev/null)
  fds=$(ls "/proc/$pm_pid/fd" 2>/dev/null | wc -l)
  [ -n "$rss" ] || return 0
  pm_rss=$rss pm_fds=$fds
  [ "$rss" -le "$rss_bound" ] || fail "the PM's RSS is $rss MB $1 (bound $rss_bound MB)"
  [ "$fds" -le "$fd_bound" ] || fail "the PM has $fds open descriptors $1 (bound $fd_bound)"
}

# start ROLE: producer, consumer or archiver of this round (a restart gets a new log)
declare -A pid_of
start() {
  local r=$1 log=$work/r$round-$1-$((++starts)).log
  # exec: the pid is the component's own, not that of a subshell around it
  (
    exec >"$log" 2>&1
    case $r in
      producer) exec "$comp" producer -n "$count" -s "$size" --dump "$work/r$round-expected" ;;
      consumer) exec "$comp" consumer -n "$count" -s "$size" ;;
      archiver) exec "$archiver" --pm -d "$work/r$round-archive" -n "$count" -t 300 -q '(name ~= "^cdo-")' ;;
    esac
  ) &
  pid_of[$r]=$!
  pids+=($!)
}

# alive PID: running or stopped (a child that exited but is not yet reaped
# answers kill -0 too)
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# wait_until PID DEADLINE(epoch s): exit status, 124 if still running then
wait_until() {
  while alive "$1" && [ "$(date +%s)" -lt "$2" ]; do sleep 0.1; done
  if alive "$1"; then return 124; fi
  wait "$1"
}

gone() { # APPID: the PM logged that it dropped the member, or that it left
  grep -qE "\(appid $1\)(: silent| left)" "$work/pm-$pm_gen.log"
}

t_end=$(($(date +%s) + budget))
round=0
declare -A tally
start_pm
while [ "$(date +%s)" -lt "$t_end" ]; do
  round=$((round + 1))
  starts=0
  mkdir -p "$work/r$round-expected" "$work/r$round-archive"
  pm_bounds "before round $round"
  start archiver
  for _ in $(seq 100); do grep -q "subscribed" "$work"/r$round-archiver-*.log && break; sleep 0.1; done
  start producer
  start consumer
  victim=${roles[RANDOM % ${#roles[@]}]}
  action=$([ $((RANDOM % 2)) = 0 ] && echo KILL || echo STOP)
  delay_ms=$((200 + RANDOM % 1800))
  stop_s=$((1 + RANDOM % 3))
  sleep "$((delay_ms / 1000)).$(printf %03d $((delay_ms % 1000)))"
  vpid=$([ "$victim" = pm ] && echo "$pm_pid" || echo "${pid_of[$victim]}")
  what="$action $victim after ${delay_ms} ms"
  if ! alive "$vpid"; then
    what="$what (already done)"
  elif [ "$action" = KILL ]; then
    kill -KILL "$vpid"
    wait "$vpid" 2>/dev/null
  else
    kill -STOP "$vpid"
    pm_bounds "while the $victim is stopped"
    sleep "$stop_s"
    kill -CONT "$vpid"
    what="$what for $stop_s s"
  fi
  t_fault=$(date +%s)
  deadline=$((t_fault + MSTRO_PM_TIMEOUT + grace))
  pm_bounds "after the fault"
  killed=
  [ "$action" = KILL ] && [[ "$what" != *"already done"* ]] && killed=$victim
  # the supervisor's part: a killed producer or consumer comes back under the same name
  done_line=
  [ "$killed" = producer ] && done_line="withdrawn, data unchanged"
  [ "$killed" = consumer ] && done_line="every byte and attribute checked"
  if [ -n "$done_line" ] && grep -q "$done_line" "$(ls -t "$work"/r$round-$killed-*.log | head -n 1)"; then
    what="$what (its work was done)"
  elif [ -n "$done_line" ]; then
    # a member (the PM logged its join) must be dropped before it can rejoin
    appid=$(sed -n "s/.*(pid $vpid on .* as appid \([0-9]*\)$/\1/p" "$work/pm-$pm_gen.log" | head -n 1)
    if [ -n "$appid" ]; then
      for _ in $(seq $(((MSTRO_PM_TIMEOUT + grace) * 10))); do gone "$appid" && break; sleep 0.1; done
      gone "$appid" || fail "$what: the PM did not drop the $killed (appid $appid)"
    else
      what="$what (before it joined)"
    fi
    [ "$killed" = producer ] && rm -f "$work/r$round-expected"/*
    start "$killed"
    deadline=$(($(date +%s) + MSTRO_PM_TIMEOUT + grace))
  fi
  outcome=
  for r in producer consumer archiver; do
    [ "$killed" = "$r" ] && continue
    p=${pid_of[$r]}
    wait_until "$p" "$deadline"
    rc=$?
    log=$(ls -t "$work"/r$round-$r-*.log | head -n 1)
    if [ $rc = 124 ]; then
      kill -CONT "$p" 2>/dev/null
      fail "$what: the $r (pid $p) was still running $((deadline - t_fault)) s after the fault" \
        "(MSTRO_PM_TIMEOUT=$MSTRO_PM_TIMEOUT + grace $grace s)"
    fi
    [ $rc -gt 128 ] && fail "$what: the $r died of signal $((rc - 128))"
    if [ $rc != 0 ]; then
      grep -qE "^(pm_component|simple_archiver)" "$log" ||
        fail "$what: the $r exited $rc without saying why"
      outcome="$outcome $r:$rc"
    fi
  done
  # no wrong byte, anywhere
  grep -l "differ from what the producer offered\|is .*, expected" "$work"/r$round-*.log 2>/dev/null &&
    fail "$what: wrong bytes"
  for f in "$work/r$round-archive"/cdo-*.data; do
    [ "$killed" = archiver ] && break # a killed archiver may leave a file half written
    [ -e "$f" ] || continue
    e=$work/r$round-expected/$(basename "$f")
    [ -e "$e" ] && ! cmp -s "$f" "$e" && fail "$what: the archiver's $(basename "$f") differs"
  done
  cores=$(find "$work" -maxdepth 1 -name 'core*' | head -n 3)
  [ -z "$cores" ] || fail "$what: core files: $cores"
  if [ "$victim" = pm ] && [ "$action" = KILL ] && [ -n "$killed" ]; then
    start_pm
  else
    pm_bounds "after round $round"
    alive "$pm_pid" || fail "$what: the PM is gone"
  fi
  tally[$victim-$action]=$((${tally[$victim-$action]:-0} + 1))
  echo "round $round: $what: ok${outcome:+ (clean errors:$outcome)}; PM ${pm_rss:-?} MB, ${pm_fds:-?} fds"
  rm -rf "$work/r$round-expected" "$work/r$round-archive"
done
echo "PASS: $round rounds (seed $seed):$(for k in "${!tally[@]}"; do printf ' %s=%s' "$k" "${tally[$k]}"; done)"
