#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Release soak (not run in CI; about an hour): on loopback,
#   1. steady: one Pool Manager serves producer/consumer pairs exchanging
#      small CDOs (SOAK_COUNT x SOAK_SIZE per pair) back to back for
#      SOAK_STEADY_SECONDS; the PM's VmRSS and open descriptors are printed
#      every SOAK_SAMPLE seconds, and after the warm-up (SOAK_WARMUP seconds)
#      RSS may not grow by more than SOAK_GROWTH_MB nor descriptors by more
#      than 16;
#   2. chaos: tests/chaos/check_chaos.sh for SOAK_CHAOS_SECONDS.
#
#   scripts/soak.sh [build-dir]     (default: build)
#   SOAK_STEADY_SECONDS=1200 SOAK_CHAOS_SECONDS=2400 SOAK_COUNT=2000 SOAK_SIZE=4K
#   SOAK_SAMPLE=10 SOAK_WARMUP=60 SOAK_GROWTH_MB=32
# Every process started here is stopped on exit, also on failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bdir=$(cd "${1:-$top/build}" && pwd)
pm=$bdir/pm/maestro-pm comp=$bdir/bin/pm_component archiver=$bdir/bin/simple_archiver
for b in "$pm" "$comp" "$archiver"; do [ -x "$b" ] || { echo "soak: no $b (build first)"; exit 2; }; done
steady=${SOAK_STEADY_SECONDS:-1200} chaos=${SOAK_CHAOS_SECONDS:-2400}
count=${SOAK_COUNT:-2000} size=${SOAK_SIZE:-4K}
sample=${SOAK_SAMPLE:-10} warmup=${SOAK_WARMUP:-60} growth=${SOAK_GROWTH_MB:-32}

export FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo FI_PROVIDER=${FI_PROVIDER:-tcp;ofi_rxm}
export MSTRO_WORKFLOW_NAME=soak-$$ MSTRO_TRANSPORT_DEFAULT=OFI MSTRO_PM_TIMEOUT=${MSTRO_PM_TIMEOUT:-10}
work=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

exec 3< <(exec "$pm" --workflow "$MSTRO_WORKFLOW_NAME" 2>"$work/pm.log")
pm_pid=$!
pids+=("$pm_pid")
read -t 30 -d ';' -u 3 _ && read -t 5 -d ';' -u 3 info || { echo "soak: no PM contact string"; exit 1; }
export MSTRO_POOL_MANAGER_INFO=$info

mem() { awk '/^VmRSS:/ {print int($2 / 1024)}' "/proc/$pm_pid/status"; }
fds() { ls "/proc/$pm_pid/fd" | wc -l; }
echo "soak: steady part, $steady s of producer/consumer pairs ($count x $size), PM RSS every $sample s"
echo "soak: t=0 s PM RSS $(mem) MB, $(fds) fds (idle)"
t0=$(date +%s)
pairs=0 failed=0 base_rss='' base_fds=''
next=$((t0 + sample))
while [ $(($(date +%s) - t0)) -lt "$steady" ]; do
  "$comp" producer -n "$count" -s "$size" >"$work/p.log" 2>&1 &
  p=$!
  pids+=("$p")
  "$comp" consumer -n "$count" -s "$size" --quiet >"$work/c.log" 2>&1 &
  c=$!
  pids+=("$c")
  while kill -0 "$c" 2>/dev/null || kill -0 "$p" 2>/dev/null; do
    sleep 0.5
    now=$(date +%s)
    if [ "$now" -ge "$next" ]; then
      r=$(mem) f=$(fds)
      echo "soak: t=$((now - t0)) s PM RSS $r MB, $f fds, $pairs pairs done"
      if [ $((now - t0)) -ge "$warmup" ]; then
        [ -n "$base_rss" ] || { base_rss=$r base_fds=$f; }
        [ $((r - base_rss)) -le "$growth" ] ||
          { echo "soak: FAIL: the PM grew from $base_rss to $r MB after the warm-up"; exit 1; }
        [ $((f - base_fds)) -le 16 ] ||
          { echo "soak: FAIL: the PM's descriptors grew from $base_fds to $f"; exit 1; }
      fi
      next=$((next + sample))
    fi
  done
  wait "$p" && wait "$c" || { failed=$((failed + 1)); cat "$work/p.log" "$work/c.log"; }
  pairs=$((pairs + 1))
  pids=("$pm_pid")
done
[ "$failed" = 0 ] || { echo "soak: FAIL: $failed of $pairs pairs failed"; exit 1; }
echo "soak: steady part PASS: $pairs pairs, PM RSS $(mem) MB (after warm-up: ${base_rss:-?} MB), $(fds) fds"
kill -TERM "$pm_pid"
wait "$pm_pid" 2>/dev/null

echo "soak: chaos part, $chaos s"
CHAOS_SECONDS=$chaos "$top/tests/chaos/check_chaos.sh" "$pm" "$comp" "$archiver" || exit 1
echo "soak: PASS"
