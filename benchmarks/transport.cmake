# SPDX-License-Identifier: BSD-3-Clause
# Benchmarks of the transport layer (README.md, section transport).
mstro_add_benchmark(transport_ofi SOURCES transport_ofi.c LIBS maestro::transport PkgConfig::FABRIC
  TIMEOUT 300)
mstro_add_benchmark(transport_store SOURCES transport_store.c LIBS maestro::transport
  ${RADOS_LIBRARY} TIMEOUT 300)
if(MSTRO_HAVE_RADOS)
  target_compile_definitions(transport_store PRIVATE MSTRO_HAVE_RADOS=1)
  target_include_directories(transport_store PRIVATE ${RADOS_INCLUDE_DIR})
endif()
# With the MIO test cluster (tests/transport), the quick run measures MIO too.
if(TARGET test_mio AND TEST bench_transport_store_quick)
  set_tests_properties(bench_transport_store_quick PROPERTIES FIXTURES_REQUIRED ceph_cluster
    ENVIRONMENT "MSTRO_MIO_CONF=${PROJECT_BINARY_DIR}/tests/transport/ceph-cluster/ceph.conf;MSTRO_MIO_POOL=maestro")
endif()
