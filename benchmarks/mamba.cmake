# SPDX-License-Identifier: BSD-3-Clause
# libmamba benchmarks (README.md, section "mamba").
mstro_add_benchmark(mamba_pool SOURCES mamba_pool.c LIBS maestro::mamba)
# Only the benchmark links libfabric (the baseline); libmamba itself does not.
mstro_add_benchmark(mamba_regcache SOURCES mamba_regcache.c LIBS maestro::mamba PkgConfig::FABRIC)
