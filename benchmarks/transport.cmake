# Benchmarks of the transport layer (README.md, section transport).
mstro_add_benchmark(transport_ofi SOURCES transport_ofi.c LIBS maestro::transport PkgConfig::FABRIC
  TIMEOUT 300)
mstro_add_benchmark(transport_store SOURCES transport_store.c LIBS maestro::transport
  ${RADOS_LIBRARY} TIMEOUT 300)
if(MSTRO_HAVE_RADOS)
  target_compile_definitions(transport_store PRIVATE MSTRO_HAVE_RADOS=1)
  target_include_directories(transport_store PRIVATE ${RADOS_INCLUDE_DIR})
endif()
