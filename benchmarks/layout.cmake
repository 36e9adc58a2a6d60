# SPDX-License-Identifier: BSD-3-Clause
# Layout library benchmarks (docs/layout.md): transforms and redistribution
# against memcpy of the same bytes, measured in the same run.
mstro_add_benchmark(layout_transpose SOURCES layout_transpose.c LIBS maestro::lyt)
# the naive reference loop stays a plain -O2 double loop
set_source_files_properties(layout_transpose.c PROPERTIES COMPILE_OPTIONS "-O2")
mstro_add_benchmark(layout_redistribute SOURCES layout_redistribute.c LIBS maestro::lyt)
