# SPDX-License-Identifier: BSD-3-Clause
# The control protocol's decoders (issue 6): frames and the PM contact string.
# The codec lives in the static maestro_proto (core/sources-protocol.cmake),
# instrumented here like libmaestro's objects; libmaestro-pm's logging domain
# (pm/pm_log.c) gives its log lines a home.
#   CC=clang CXX=clang++ cmake -B build-fuzz -DMSTRO_FUZZ=ON -DMSTRO_SANITIZE=address
#   cmake --build build-fuzz --target protocol_fuzz
#   ./build-fuzz/tests/fuzz/protocol_fuzz -max_total_time=60
target_compile_options(maestro_proto PRIVATE -fsanitize=fuzzer-no-link)
mstro_add_fuzzer(protocol_fuzz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/protocol_fuzz.c
  ${PROJECT_SOURCE_DIR}/pm/pm_log.c LIBS maestro_proto)
# A short run in fuzz builds, so that the harness cannot rot.
add_test(NAME test_protocol_fuzz_smoke COMMAND protocol_fuzz -max_total_time=20 -seed=1)
set_tests_properties(test_protocol_fuzz_smoke PROPERTIES TIMEOUT 120 LABELS "protocol;fuzz")
