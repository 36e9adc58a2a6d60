# SPDX-License-Identifier: BSD-3-Clause
# Spack recipe of Maestro, kept with the sources (tests/docs/test_spack_recipe.py parses it
# and checks it against the CMake options). Use it from a clone:
#   spack repo add packaging/spack
#   spack install maestro@develop +ceph           (after `spack develop --path <clone> maestro@develop`
#                                                   in an environment)

from spack.package import *


class Maestro(CMakePackage):
    """Maestro: multi-threaded, cross-application data transfer and inspection for HPC.

    Applications offer and demand named Core Data Objects (data and metadata) through a pool;
    a Pool Manager does the rendezvous and moves the bytes by libfabric RDMA, a shared file
    system or a Ceph object store. Ships libmamba (memory spaces, pools, RDMA registration)
    and the layout library (transforms and N-to-M redistribution)."""

    license("BSD-3-Clause")
    maintainers("maestro-developers")

    version("develop")
    version("0.1.0")

    variant("cuda", default=False, description="GPU memory spaces and device-resident CDOs (CUDA)")
    variant("ceph", default=False, description="MIO transport: Ceph RADOS object store (librados)")
    variant("tests", default=False, description="Build and run the cmocka test suite")
    variant("benchmarks", default=False, description="Build the benchmarks")

    depends_on("c", type="build")
    depends_on("cxx", type="build")
    depends_on("cmake@3.20:", type="build")
    depends_on("pkgconfig", type="build")

    depends_on("libfabric@1.17:")
    depends_on("hwloc@2:")
    depends_on("numactl")
    depends_on("libyaml")
    depends_on("protobuf-c")
    depends_on("cuda", when="+cuda")
    depends_on("ceph", when="+ceph")
    depends_on("cmocka", when="+tests", type=("build", "test"))

    def cmake_args(self):
        return [
            self.define("MSTRO_ENABLE_CUDA", "ON" if self.spec.satisfies("+cuda") else "OFF"),
            self.define("MSTRO_ENABLE_MIO", "ON" if self.spec.satisfies("+ceph") else "OFF"),
            self.define_from_variant("MSTRO_BUILD_TESTS", "tests"),
            self.define_from_variant("MSTRO_BUILD_BENCHMARKS", "benchmarks"),
            self.define("MSTRO_BUILD_DEMOS", False),
        ]

    def check(self):
        if self.spec.satisfies("+tests"):
            with working_dir(self.build_directory):
                ctest("--output-on-failure", "-LE", "bench|mio")
