# --- core-metadata: selector evaluation rate against hand-written C predicates.
mstro_add_benchmark(selector_eval SOURCES selector_eval.c LIBS maestro_internal)
