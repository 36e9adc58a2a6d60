# SPDX-License-Identifier: BSD-3-Clause
"""Runs every ```python block of a Markdown page, each in its own
interpreter (the one running this script), in a scratch directory; fails
when one fails or when the page has fewer blocks than expected.

    python3 run_doc_examples.py PAGE.md MIN_BLOCKS
"""

import re
import subprocess
import sys
import tempfile

import mtest  # noqa: F401  (pins loopback for the children)


def main():
    page, want = sys.argv[1], int(sys.argv[2])
    with open(page) as f:
        blocks = re.findall(r"^```python\n(.*?)^```", f.read(), re.S | re.M)
    # the API overview block is a sketch of calls in order, runnable too
    print("%s: %d python blocks" % (page, len(blocks)))
    if len(blocks) < want:
        print("FAIL: expected at least %d blocks" % want)
        return 1
    bad = 0
    for i, code in enumerate(blocks):
        if "import numpy" in code and mtest.numpy is None:
            print("block %d: skipped: %s" % (i, mtest.NUMPY_SKIP))
            continue
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([sys.executable, "-c", code], cwd=d, timeout=120)
        print("block %d: %s" % (i, "ok" if r.returncode == 0 else "FAIL (exit %d)" % r.returncode))
        bad += r.returncode != 0
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
