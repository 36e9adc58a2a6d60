# SPDX-License-Identifier: BSD-3-Clause
# Metadata parsers of libmaestro: selectors, schemas, YAML attribute values,
# the attribute dictionary decoder (seed corpora under corpus/).
foreach(f fuzz_selector fuzz_schema fuzz_attr_yaml fuzz_attr_decode)
  mstro_add_fuzzer(${f} SOURCES ${f}.c LIBS maestro_internal)
endforeach()
