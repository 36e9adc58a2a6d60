#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# maestro-pm as a separate process, started exactly as DESIGN.md section 4
# says, with components (pm_client) joining over OFI control messages:
#   - the info line: variable name and a well-formed contact string;
#   - a JOIN with a wrong secret or workflow name is refused with MSTRO_AUTH
#     and the PM logs the component and the reason;
#   - a JOIN with the right secret is welcomed (also right after a refused
#     one from the same endpoint); HEARTBEAT answered; an EVENT_ACK
#     no operation waits for refused with MSTRO_NOENT;
#     LEAVE answered with BYE;
#   - a stranger's random and mutated frames, JOINs with addresses that
#     cannot be answered, and a joined member's pool and event messages with
#     hostile fields and mutated bytes do not stop the PM, which keeps
#     welcoming and answering real clients;
#   - SIGTERM: a joined component gets PM_LEAVE and the PM exits 0 within 5 s
#     (and SIGINT, SIGUSR2 likewise);
#   - --exit-when-idle: the PM exits 0 by itself once its components have left.
# Usage: test_pm_binary.sh MAESTRO_PM PM_CLIENT [OFI_PROVIDER]
# Exit 77 (skip) when the provider is not available on this machine.
set -u
PM=$1
CLIENT=$2
if [ -n "${3:-}" ]; then
  export MSTRO_OFI_PROVIDER=$3
fi
export MSTRO_WORKFLOW_NAME=pm-binary-test
export MSTRO_LOG_LEVEL=warn # the clients; the PM logs at info level
tmp=$(mktemp -d)
pm_pid=
cleanup() {
  if [ -n "$pm_pid" ] && kill -0 "$pm_pid" 2>/dev/null; then
    kill -KILL "$pm_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  echo "---- PM log ----"
  cat "$tmp/pm.log" 2>/dev/null | tail -40
  exit 1
}

# Starts maestro-pm as DESIGN.md section 4 does; sets pm_pid and pm_info.
start_pm() {
  exec 3< <(MSTRO_LOG_LEVEL=info exec "$PM" "$@" 2>>"$tmp/pm.log")
  pm_pid=$!
  pm_info_varname=
  pm_info=
  read -t 30 -d ';' -u 3 pm_info_varname
  read -t 5 -d ';' -u 3 pm_info
  if [ -z "$pm_info_varname" ] && grep -q "unavailable here" "$tmp/pm.log"; then
    echo "SKIP: the OFI provider '${MSTRO_OFI_PROVIDER:-auto}' is not available here"
    grep "unavailable here" "$tmp/pm.log"
    exit 77
  fi
  [ "$pm_info_varname" = MSTRO_POOL_MANAGER_INFO ] ||
    fail "first field is '$pm_info_varname', not MSTRO_POOL_MANAGER_INFO"
  [[ "$pm_info" =~ ^mpm1:[0-9a-f]{64}:[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$ ]] ||
    fail "malformed info '$pm_info'"
  export MSTRO_POOL_MANAGER_INFO="$pm_info"
}

# Sends a signal and expects exit code 0 within 5 seconds.
stop_pm() {
  local sig=$1 t0 rc
  t0=$(date +%s%N)
  kill "-$sig" "$pm_pid"
  for _ in $(seq 50); do
    kill -0 "$pm_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pm_pid" 2>/dev/null && fail "maestro-pm still runs 5 s after SIG$sig"
  wait "$pm_pid"
  rc=$?
  [ "$rc" = 0 ] || fail "maestro-pm exited with $rc after SIG$sig"
  echo "SIG$sig: maestro-pm exited 0 after $((($(date +%s%N) - t0) / 1000000)) ms"
  exec 3<&-
  pm_pid=
}

expect() { # expect "<output>" "<pattern>" "<what>"
  grep -qE "$2" <<<"$1" || fail "$3: got '$1'"
}

start_pm
echo "info: $pm_info"

out=$("$CLIENT" --wrong-secret intruder 7)
expect "$out" "^REFUSE status=MSTRO_AUTH reason=.*secret" "wrong secret"
grep -q "refused JOIN of component 'intruder' index 7 .*: wrong workflow secret" "$tmp/pm.log" ||
  fail "the PM did not log the refusal of 'intruder'"

out=$(MSTRO_WORKFLOW_NAME=another-workflow "$CLIENT" lost 0)
expect "$out" "^REFUSE status=MSTRO_AUTH reason=.*workflow name" "wrong workflow name"
grep -q "refused JOIN of component 'lost' index 0 .*wrong workflow name 'another-workflow'" \
  "$tmp/pm.log" || fail "the PM did not log the refusal of 'lost'"

out=$("$CLIENT" --heartbeat --offer --leave producer 0)
expect "$out" "^WELCOME appid=[1-9]" "right secret"
expect "$out" "^HEARTBEAT" "heartbeat"
expect "$out" "^REFUSE status=MSTRO_NOENT" "event ack nobody waits for"
expect "$out" "^BYE" "leave"
grep -q "component 'producer' index 0 .* joined workflow 'pm-binary-test'" "$tmp/pm.log" ||
  fail "the PM did not log the join"

# Refused, then welcomed from the same endpoint.
out=$("$CLIENT" --retry --leave retrying 0)
expect "$out" "^REFUSE status=MSTRO_AUTH" "retry: first JOIN"
expect "$out" "^WELCOME appid=[1-9]" "retry: second JOIN"
expect "$out" "^BYE" "retry: leave"

# JOINs the PM cannot answer (a malformed address; for tcp, a port where
# nobody listens) must not stall it: refusals to them are bounded (250 ms).
fakes=("ofi:bogus" "ofi:tcp;ofi_rxm:zz")
pm_addr=$(printf '%s==' "${pm_info##*:}" | tr '_-' '/+' | base64 -d 2>/dev/null)
if [[ "$pm_addr" =~ ^(ofi:tcp[^:]*:)0200[0-9a-f]{4}(.*)$ ]]; then
  fakes+=("${BASH_REMATCH[1]}02000001${BASH_REMATCH[2]}")
fi
for f in "${fakes[@]}"; do
  "$CLIENT" --wrong-secret --fake-address "$f" faker 0 || fail "could not send a fake JOIN"
done
t0=$(date +%s%N)
out=$("$CLIENT" --leave after-fakes 0)
expect "$out" "^WELCOME appid=[1-9]" "welcome after unanswerable JOINs"
echo "welcomed $((($(date +%s%N) - t0) / 1000000)) ms after ${#fakes[@]} unanswerable JOINs"

out=$("$CLIENT" --garbage 500 --leave consumer 0)
expect "$out" "^WELCOME appid=[1-9]" "welcome after a stranger's garbage"
expect "$out" "^BYE" "leave after garbage"
kill -0 "$pm_pid" || fail "maestro-pm died"
grep -q "malformed control message from a sender that is not a member" "$tmp/pm.log" ||
  fail "the garbage was not noticed"

# A joined member's fuzzing: pool and event messages with hostile fields
# (unknown ids and tickets, garbage attributes, descriptors and selectors),
# a few of them byte-mutated, under its own session. The PM stays up (it may
# drop the member for malformed frames) and keeps serving a real client.
for seed in 1 2 3; do
  out=$("$CLIENT" --member-fuzz 300 --seed "$seed" fuzzer "$seed")
  expect "$out" "^WELCOME appid=[1-9]" "fuzzing member $seed joined"
  expect "$out" "^FUZZED 300" "fuzzing member $seed sent its messages"
  kill -0 "$pm_pid" || fail "maestro-pm died under a member's fuzzing (seed $seed)"
done
out=$("$CLIENT" --heartbeat --leave after-fuzz 0)
expect "$out" "^WELCOME appid=[1-9]" "welcome after a member's fuzzing"
expect "$out" "^HEARTBEAT" "heartbeat after a member's fuzzing"
expect "$out" "^BYE" "leave after a member's fuzzing"

# A component still joined when the PM is told to stop hears PM_LEAVE; a
# stranger's garbage meanwhile does not get it dropped.
"$CLIENT" --wait-pm-leave 20 lingering 0 >"$tmp/client.out" &
client_pid=$!
for _ in $(seq 100); do
  grep -q WAITING "$tmp/client.out" && break
  sleep 0.1
done
grep -q WAITING "$tmp/client.out" || fail "the lingering client did not join: $(cat "$tmp/client.out")"
out=$("$CLIENT" --garbage 100 --leave passer-by 0)
expect "$out" "^BYE" "passer-by"
grep -q "dropping component 'lingering'" "$tmp/pm.log" &&
  fail "a stranger's garbage got the member 'lingering' dropped"
stop_pm TERM
wait "$client_pid" || fail "the lingering client failed: $(cat "$tmp/client.out")"
grep -q "^PM_LEAVE reason=" "$tmp/client.out" || fail "no PM_LEAVE: $(cat "$tmp/client.out")"

for sig in INT USR2; do
  start_pm
  stop_pm "$sig"
done

# --exit-when-idle: stops by itself after the last component left.
start_pm --exit-when-idle
out=$("$CLIENT" --leave only-one 0)
expect "$out" "^BYE" "leave"
for _ in $(seq 50); do
  kill -0 "$pm_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$pm_pid" 2>/dev/null && fail "--exit-when-idle: still running 5 s after the last leave"
wait "$pm_pid" || fail "--exit-when-idle: exit code $?"
pm_pid=
echo "--exit-when-idle: exited 0 after the last component left"
echo "PASS"
