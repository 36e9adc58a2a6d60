# Benchmarks of the cross-process pool (README.md, section transfer).
mstro_add_benchmark(transfer SOURCES transfer.c LIBS maestro::maestro maestro::pm PkgConfig::FABRIC
  TIMEOUT 600)
