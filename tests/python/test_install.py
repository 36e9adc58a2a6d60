# SPDX-License-Identifier: BSD-3-Clause
"""`cmake --install` puts maestro_core into <prefix>/<MSTRO_PYTHON_INSTALL_DIR>
and the installed package loads the installed libraries without
LD_LIBRARY_PATH, also after the prefix was moved; test_api.py then passes
against the installed package.

    python3 test_install.py CMAKE BUILD_DIR PACKAGE_SUBDIR
"""

import os
import shutil
import subprocess
import sys
import tempfile

import mtest


def main():
    cmake, build, subdir = sys.argv[1:4]
    with tempfile.TemporaryDirectory(prefix="py_install.") as tmp:
        first = os.path.join(tmp, "prefix")
        r = subprocess.run([cmake, "--install", build, "--prefix", first], stdout=subprocess.DEVNULL)
        if r.returncode != 0:
            print("FAIL: cmake --install exited %d" % r.returncode)
            return 1
        prefix = os.path.join(tmp, "moved")
        shutil.move(first, prefix)  # relocatable: the libdir is relative to the package
        env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "PYTHONPATH")}
        env["PYTHONPATH"] = os.path.join(prefix, subdir)
        probe = (
            "import maestro_core as M, os, sys\n"
            "paths = [M._lib.lib._name, M._lib.pmlib._name, M.__file__]\n"
            "bad = [p for p in paths if not os.path.realpath(p).startswith(os.path.realpath(sys.argv[1]))]\n"
            "print('\\n'.join(paths)); sys.exit(1 if bad else 0)\n"
        )
        if subprocess.run([sys.executable, "-c", probe, prefix], env=env).returncode != 0:
            print("FAIL: the installed package did not load the installed libraries")
            return 1
        r = subprocess.run([sys.executable, os.path.join(mtest.HERE, "test_api.py")], env=env)
        if r.returncode != 0:
            print("FAIL: test_api.py against the installed package")
            return 1
    print("PASS: installed package and libraries found without LD_LIBRARY_PATH, prefix moved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
