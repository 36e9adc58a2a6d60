#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# scripts/bench-all.sh and scripts/bench-plot.sh on fake benchmark binaries:
# one good (BENCH lines of several benchmarks' shapes), one that skips, one
# that fails. Usage: test_bench_scripts.sh SRC WORKDIR
set -u
src=$1 work=$2
rm -rf "$work" && mkdir -p "$work/build/benchmarks" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
cat >"$work/build/benchmarks/transport_ofi" <<'B'
#!/bin/sh
echo "# fake transport_ofi"
for s in 4KiB 64KiB 1MiB 16MiB; do
  echo "BENCH transport_ofi read_tcp+ofi_rxm_$s value=2.5 unit=GB/s baseline=2.7 ratio=0.926"
  echo "BENCH transport_ofi read_shm_$s value=9 unit=GB/s baseline=10 ratio=0.9"
done
echo "BENCH transport_ofi rtt_shm_64B value=6 unit=us baseline=4 ratio=0.667"
B
cat >"$work/build/benchmarks/mamba_pool" <<'B'
#!/bin/sh
echo "BENCH mamba_pool 64B_1thread value=10 unit=ns baseline=9 ratio=0.9"
echo "BENCH mamba_pool 4KiB_2threads value=10 unit=ns baseline=45 ratio=4.5"
echo "BENCH pool_local meta_1thread value=500000 unit=pairs/s baseline=1e6 ratio=0.5"
echo "BENCH pool_local meta_2threads value=200000 unit=pairs/s baseline=1e4 ratio=20"
B
printf '#!/bin/sh\necho "# MIO skipped: no cluster"\n' >"$work/build/benchmarks/skipper"
printf '#!/bin/sh\necho crashed >&2\nexit 3\n' >"$work/build/benchmarks/broken"
chmod +x "$work/build/benchmarks/"*
bash "$src/scripts/bench-all.sh" --quick --build "$work/build" --out "$work/results" >"$work/bench-all.log" 2>&1
rc=$?
cat "$work/bench-all.log"
[ $rc = 1 ] || fail "bench-all exit $rc, expected 1 (one benchmark failed)"
run=$work/results/latest
[ -f "$run/results.csv" ] && [ -f "$run/machine.txt" ] || fail "no results.csv / machine.txt"
[ "$(head -1 "$run/results.csv")" = "run_id,benchmark,case,value,unit,baseline,ratio" ] || fail "CSV header"
[ "$(($(wc -l <"$run/results.csv") - 1))" = 13 ] || fail "expected 13 rows in results.csv"
grep -q '^[^,]*,broken,failed,3,' "$run/status.csv" || fail "broken not reported as failed"
grep -q '^[^,]*,skipper,skipped,0,' "$run/status.csv" || fail "skipper not reported as skipped"
grep -q '^[^,]*,transport_ofi,ok,0,' "$run/status.csv" || fail "transport_ofi not ok"
for k in cpu_model cores_online memory kernel libfabric libfabric_providers cuda loadavg_start; do
  grep -q "^$k: " "$run/machine.txt" || fail "machine.txt lacks $k"
done
bash "$src/scripts/bench-all.sh" --quick --build "$work/build" --out "$work/results2" --only transport_ofi >/dev/null 2>&1 ||
  fail "bench-all --only transport_ofi failed"
echo "ok: bench-all"
command -v gnuplot >/dev/null || { echo "gnuplot not installed: plots skipped"; exit 77; }
bash "$src/scripts/bench-plot.sh" "$run" || fail "bench-plot failed"
for p in bandwidth_transport_ofi latency mamba_pool pool_local; do
  [ -s "$run/plots/$p.png" ] || fail "no $p.png"
done
grep -q "read_shm_16MiB" "$run/plots/ratios.md" || fail "ratios.md incomplete"
grep -q "read_shm_16MiB .* met |" "$run/plots/targets.md" || fail "targets.md: read_shm_16MiB (ratio 0.9) not met"
grep -q "64B_1thread .*not met" "$run/plots/targets.md" || fail "targets.md: 64B_1thread (ratio 0.9 < 1) not marked not met"
echo "ok: bench-plot"
