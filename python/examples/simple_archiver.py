#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""simple_archiver in Python (tests/demo/simple_archiver.c rewritten with
maestro_core): subscribes to OFFER events of the CDOs a selector matches,
with _REQUIRE_ACK so that no offer completes before it is archived; demands
each CDO and writes its data (<dir>/<name>.data) and attributes
(<dir>/<name>.yaml), then acks.

In-process (default): a built-in producer thread offers the CDOs; at the end
every archived file is read back and compared.

--pm: a component of the workflow of MSTRO_POOL_MANAGER_INFO (workflow name
from MSTRO_WORKFLOW_NAME) archiving the offers of the other components; the
selector (-q) defaults to every CDO. It prints "simple_archiver: subscribed"
once listening and stops after -n CDOs (or -t seconds without reaching them:
exit 1). The producers' offers return only once their CDO is on disk.
"""

import argparse
import hashlib
import os
import sys
import threading
import time

import maestro_core as M

DEFAULT_QUERY = '(name ~= "^archive[.]")'


def file_name(directory, name, ext):
    """Path of the archive file of a CDO (a flat name: "/" becomes "_")."""
    # CDO names may hold '/': keep the file name flat
    return os.path.join(directory, name.replace("/", "_") + ext)


def optional(cdo, key):
    """An attribute's value, or None when it has none."""
    try:
        return M.mstro_cdo_attribute_get(cdo, key, None)
    except M.MaestroError as e:
        if e.status != M.MSTRO_NOENT:
            raise
        return None


def write_cdo(cdo, directory):
    """Write the data and a YAML sidecar of a demanded CDO."""
    name = M.mstro_cdo_name(cdo)
    try:
        data = M.mstro_cdo_access_ptr(cdo)
    except M.MaestroError as e:
        if e.status != M.MSTRO_NOENT:
            raise
        data = memoryview(b"")  # a CDO without data
    with open(file_name(directory, name, ".data"), "wb") as f:
        f.write(data)
    with open(file_name(directory, name, ".yaml"), "w") as f:
        f.write('name: "%s"\n' % name)
        f.write("scope.local-size: %d\n" % len(data))
        for key in ("lifetime", "layout.element-size", "layout.order"):
            v = optional(cdo, key)
            if v is not None:
                f.write("%s: %d\n" % (key, v))


class Archiver:
    """Archives the offers its subscription reports until told to stop."""

    def __init__(self, sub, args):
        self.sub, self.args = sub, args
        self.archived = self.failures = 0
        self.stop = threading.Event()

    def run(self):
        """Archive offers until stopped (or, with --pm, until -n CDOs or -t seconds)."""
        deadline = time.monotonic() + self.args.t
        while not self.stop.is_set():
            if self.args.pm and (self.archived + self.failures >= self.args.n or time.monotonic() > deadline):
                break
            events = M.mstro_subscription_timedwait(self.sub, 0.05)
            if events is None:
                continue
            for e in events:
                if e.kind != M.MSTRO_POOL_EVENT_OFFER:
                    continue
                name = e.payload.offer.cdo_name
                print("simple_archiver: archiving %s" % name, flush=True)
                cdo = None
                try:
                    cdo = M.mstro_cdo_declare(name, None)
                    M.mstro_cdo_demand(cdo)
                    write_cdo(cdo, self.args.d)
                    self.archived += 1
                except (M.MaestroError, OSError) as err:
                    print("simple_archiver: %s: %s" % (name, err), file=sys.stderr)
                    self.failures += 1
                finally:
                    if cdo is not None:
                        M.mstro_cdo_dispose(cdo)
            M.mstro_subscription_ack(self.sub, events)


def payload(i, size):
    """The bytes the built-in producer offers as CDO i."""
    out = bytearray()
    seed = b"archive.cdo.%d" % i
    while len(out) < size:
        out += hashlib.sha256(seed + b"/%d" % len(out)).digest()
    return out[:size]


def producer(args, failures):
    """The built-in producer: offers -n CDOs, each returning once archived."""
    for i in range(args.n):
        name = "archive.cdo.%d" % i
        try:
            cdo = M.mstro_cdo_declare(name, None)
            M.mstro_cdo_attribute_set(cdo, M.MSTRO_ATTR_CORE_CDO_RAW_PTR, payload(i, args.s))
            M.mstro_cdo_attribute_set(cdo, "lifetime", i)
            M.mstro_cdo_offer(cdo)  # returns once archived (_REQUIRE_ACK)
            M.mstro_cdo_withdraw(cdo)
            M.mstro_cdo_dispose(cdo)
        except M.MaestroError as err:
            print("simple_archiver: producer: %s" % err, file=sys.stderr)
            failures.append(name)


def verify(args):
    """Number of archived data files that differ from what was offered."""
    bad = 0
    for i in range(args.n):
        path = file_name(args.d, "archive.cdo.%d" % i, ".data")
        try:
            with open(path, "rb") as f:
                ok = f.read() == payload(i, args.s)
        except OSError:
            ok = False
        if not ok:
            print("simple_archiver: %s does not hold the CDO's data" % path, file=sys.stderr)
            bad += 1
    return bad


def size_arg(text):
    """A size argument: "65536", "64K", "1M", "2GiB"."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = text.upper().rstrip("B").rstrip("I")
    num, unit = (t[:-1], t[-1]) if t and t[-1] in units else (t, "")
    if not num.isdigit() or int(num) * units[unit] <= 0:
        raise argparse.ArgumentTypeError("bad size '%s'" % text)
    return int(num) * units[unit]


def main():
    """Parse the arguments, archive, report; the exit status."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pm", action="store_true", help="archive the offers of other components (own process)")
    ap.add_argument("-t", type=int, default=120, metavar="SECONDS", help="--pm: give up after this long")
    ap.add_argument("-d", default="archive", metavar="DIR", help="directory for the archive")
    ap.add_argument("-n", type=int, default=8, metavar="CDOS", help="CDOs to offer (in-process) or to archive (--pm)")
    ap.add_argument("-s", type=size_arg, default=64 * 1024, metavar="BYTES", help="bytes per CDO (in-process)")
    ap.add_argument("-q", default=None, metavar="SELECTOR", help="which CDOs to archive")
    args = ap.parse_args()
    if args.n < 0 or args.t < 1:
        ap.error("-n must be >= 0 and -t >= 1")
    os.makedirs(args.d, exist_ok=True)
    if args.pm and "MSTRO_POOL_MANAGER_INFO" not in os.environ:
        print("simple_archiver: --pm needs MSTRO_POOL_MANAGER_INFO (start maestro-pm)", file=sys.stderr)
        return 2
    query = args.q if args.q is not None else (None if args.pm else DEFAULT_QUERY)
    try:
        M.mstro_init(None if args.pm else "simple_archiver", "archiver", 0)
        sel = M.mstro_cdo_selector_create(None, None, query)
        sub = M.mstro_subscribe(sel, M.MSTRO_POOL_EVENT_OFFER, M.MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK)
    except M.MaestroError as err:
        print("simple_archiver: %s" % err, file=sys.stderr)
        return 1
    arch = Archiver(sub, args)
    failures = []
    if args.pm:
        print("simple_archiver: subscribed", flush=True)
        arch.run()
    else:
        t = threading.Thread(target=arch.run)
        t.start()
        producer(args, failures)
        arch.stop.set()
        t.join()
    M.mstro_subscription_dispose(sub)
    M.mstro_cdo_selector_dispose(sel)
    try:
        M.mstro_finalize()
        final_ok = True
    except M.MaestroError as err:
        print("simple_archiver: %s" % err, file=sys.stderr)
        final_ok = False
    fails = arch.failures + len(failures)
    if args.pm:
        print("simple_archiver: %d of %d CDOs archived to %s/, %d failures" % (arch.archived, args.n, args.d, fails))
        return 0 if fails == 0 and arch.archived == args.n and final_ok else 1
    bad = verify(args)
    print(
        "simple_archiver: %d of %d CDOs archived to %s/, %d bad, %d failures"
        % (arch.archived, args.n, args.d, bad, fails)
    )
    return 0 if bad == 0 and fails == 0 and arch.archived == args.n and final_ok else 1


if __name__ == "__main__":
    sys.exit(main())
