# SPDX-License-Identifier: BSD-3-Clause
# --- core-metadata: selector evaluation rate against hand-written C predicates.
mstro_add_benchmark(selector_eval SOURCES selector_eval.c LIBS maestro_internal)
# --- core-pool: offer->demand pairs and large demands of the in-process pool.
mstro_add_benchmark(pool_local SOURCES pool_local.c LIBS maestro::maestro)
