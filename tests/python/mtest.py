# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the maestro_core tests: environment, the demo data pattern
(tests/demo/demo_common.h), numpy detection, a Pool Manager process."""

import os
import subprocess
import sys

# every test pins loopback (libfabric binds the first other interface otherwise)
os.environ["FI_TCP_IFACE"] = "lo"
os.environ["FI_SOCKETS_IFACE"] = "lo"
HERE = os.path.dirname(os.path.abspath(__file__))

try:
    import numpy
except ImportError:
    numpy = None

NUMPY_SKIP = "numpy does not import in %s (Debian's python3-numpy serves /usr/bin/python3)" % sys.executable

_M64 = (1 << 64) - 1


def demo_word(seed, k):
    """demo_word of tests/demo/demo_common.h."""
    x = (((seed + 1) * 0x9E3779B97F4A7C15) & _M64) ^ ((k * 0xBF58476D1CE4E5B9) & _M64)
    return x ^ (x >> 29)


def demo_pattern(n, seed):
    """The n bytes demo_fill(p, n, seed) writes."""
    if numpy is not None:
        k = numpy.arange(n // 8, dtype=numpy.uint64)
        with numpy.errstate(over="ignore"):
            x = numpy.uint64(((seed + 1) * 0x9E3779B97F4A7C15) & _M64) ^ (k * numpy.uint64(0xBF58476D1CE4E5B9))
        words = (x ^ (x >> numpy.uint64(29))).astype("<u8").tobytes()
    else:
        words = b"".join((demo_word(seed, k)).to_bytes(8, "little") for k in range(n // 8))
    tail = bytes(demo_word(seed, k) & 0xFF for k in range(8 * (n // 8), n))
    return words + tail


def start_pm(pm_binary, workflow):
    """Start maestro-pm on loopback; returns (process, contact string)."""
    p = subprocess.Popen(
        [pm_binary, "--workflow", workflow], stdout=subprocess.PIPE, text=True
    )
    buf = ""
    while buf.count(";") < 2:
        ch = p.stdout.read(1)
        if not ch:
            p.kill()
            raise RuntimeError("maestro-pm printed no contact string")
        buf += ch
    name, info = buf.split(";")[:2]
    assert name.strip() == "MSTRO_POOL_MANAGER_INFO", name
    return p, info


def stop(p, timeout=10):
    """Stop a child (SIGTERM, then SIGKILL)."""
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p.stdout is not None:
        p.stdout.close()
