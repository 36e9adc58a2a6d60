# SPDX-License-Identifier: BSD-3-Clause
"""maestro_core across processes through a Pool Manager (loopback only):

  c_producer_py_consumer  a C producer (pm_component) offers; Python
                          subscribes to OFFER with _REQUIRE_ACK |
                          _NO_LOCAL_EVENTS and a selector, demands each
                          CDO, checks every byte and acks
  py_producer_c_consumer  Python offers (numpy or bytearray buffers); the C
                          consumer checks every byte
  pm_from_python          Python is the PM (mstro_pm_start); a C producer
                          and a C consumer exchange CDOs through it

    MSTRO_PM_BIN=maestro-pm MSTRO_PM_COMPONENT=pm_component \\
        python3 test_pm.py [TestPM.test_<case>]
"""

import os
import subprocess
import tempfile
import time
import unittest

import mtest
from mtest import numpy

import maestro_core as M

PM = os.environ.get("MSTRO_PM_BIN")
COMP = os.environ.get("MSTRO_PM_COMPONENT")
N, SIZE = 3, 100003


@unittest.skipUnless(PM and COMP, "MSTRO_PM_BIN and MSTRO_PM_COMPONENT name maestro-pm and pm_component")
class TestPM(unittest.TestCase):
    def setUp(self):
        self.children = []
        self.tmp = tempfile.TemporaryDirectory(prefix="py_pm.")
        self.workflow = "py-%d" % os.getpid()
        os.environ["MSTRO_WORKFLOW_NAME"] = self.workflow
        os.environ["MSTRO_PM_TIMEOUT"] = "30"
        os.environ.pop("MSTRO_POOL_MANAGER_INFO", None)
        self.inited = False

    def tearDown(self):
        if self.inited:
            try:
                M.mstro_finalize()
            except M.MaestroError as e:
                print("finalize:", e)
        for p in self.children:
            mtest.stop(p)
        self.tmp.cleanup()

    def spawn(self, *args):
        p = subprocess.Popen([COMP] + list(args), env=dict(os.environ))
        self.children.append(p)
        return p

    def join_pm(self, component):
        pm, info = mtest.start_pm(PM, self.workflow)
        self.children.append(pm)
        os.environ["MSTRO_POOL_MANAGER_INFO"] = info
        M.mstro_init(None, component, 0)
        self.inited = True

    def wait_ok(self, p, timeout=120):
        self.assertEqual(p.wait(timeout), 0, " ".join(p.args))

    def test_c_producer_py_consumer(self):
        self.join_pm("py-consumer")
        sel = M.mstro_cdo_selector_create(None, None, '(and (name ~= "^cdo-[0-9]+$") (scope.local-size = %d))' % SIZE)
        opts = M.MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK | M.MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS
        sub = M.mstro_subscribe(sel, M.MSTRO_POOL_EVENT_OFFER, opts)
        M.mstro_cdo_selector_dispose(sel)
        apps = M.mstro_subscribe(None, M.MSTRO_POOL_EVENT_APP_JOIN | M.MSTRO_POOL_EVENT_APP_LEAVE, 0)
        # our own offer matches the selector, but _NO_LOCAL_EVENTS: not held, no event
        own = M.mstro_cdo_declare("cdo-99", None)
        M.mstro_cdo_attribute_set(own, M.MSTRO_ATTR_CORE_CDO_RAW_PTR, bytearray(SIZE))
        M.mstro_cdo_offer(own)
        M.mstro_cdo_withdraw(own)
        M.mstro_cdo_dispose(own)
        # another component's offer the selector does not match: not held either
        ops = self.spawn("ops", "--name", "unselected")
        dump = os.path.join(self.tmp.name, "expected")
        os.mkdir(dump)
        prod = self.spawn("producer", "-n", str(N), "-s", str(SIZE), "--no-wait", "--dump", dump)
        self.wait_ok(ops)
        seen = []
        deadline = time.monotonic() + 120
        while len(seen) < N and time.monotonic() < deadline:
            evs = M.mstro_subscription_timedwait(sub, 1.0)
            if evs is None:
                continue
            for e in evs:
                self.assertEqual(e.kind, M.MSTRO_POOL_EVENT_OFFER)
                name = e.payload.offer.cdo_name
                self.assertRegex(name, r"^cdo-[0-2]$")
                self.assertNotEqual(e.payload.offer.appid, 0)
                c = M.mstro_cdo_declare(name, None)
                M.mstro_cdo_demand(c)  # the producer's offer waits for our ack
                data = M.mstro_cdo_access_ptr(c)
                i = int(name.split("-")[1])
                with open(os.path.join(dump, name + ".data"), "rb") as f:
                    self.assertEqual(data, f.read())
                self.assertEqual(bytes(data), mtest.demo_pattern(SIZE, i + 1))
                self.assertEqual(M.mstro_cdo_attribute_get(c, "scope.local-size"), SIZE)
                M.mstro_cdo_dispose(c)
                seen.append(name)
            M.mstro_subscription_ack(sub, evs)
        self.assertEqual(sorted(seen), ["cdo-%d" % i for i in range(N)])
        self.wait_ok(prod)
        self.assertIsNone(M.mstro_subscription_poll(sub))
        M.mstro_subscription_dispose(sub)
        # the producer's APP_JOIN and APP_LEAVE, payloads as in C
        joined, left = {}, set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not ("producer" in joined and joined["producer"] in left):
            for e in M.mstro_subscription_timedwait(apps, 1.0) or []:
                if e.kind == M.MSTRO_POOL_EVENT_APP_JOIN:
                    self.assertIsInstance(e.payload.join.component_name, str)
                    self.assertEqual(e.payload.join.component_index, 0)
                    joined[e.payload.join.component_name] = e.payload.join.appid
                else:
                    self.assertEqual(e.kind, M.MSTRO_POOL_EVENT_APP_LEAVE)
                    self.assertFalse(e.payload.leave.crashed)
                    left.add(e.payload.leave.appid)
        self.assertIn("producer", joined)
        self.assertIn(joined["producer"], left)
        M.mstro_subscription_dispose(apps)

    def test_py_producer_c_consumer(self):
        self.join_pm("py-producer")
        # the consumer's "consumer-done" is required before offering (as pm_component does)
        done = M.mstro_cdo_declare("consumer-done", None)
        M.mstro_cdo_require(done)
        cdos, bufs = [], []
        for i in range(N):
            raw = bytearray(mtest.demo_pattern(SIZE, i + 1))
            buf = numpy.frombuffer(raw, dtype=numpy.uint8) if numpy is not None else raw
            c = M.mstro_cdo_declare("cdo-%d" % i, None)
            M.mstro_cdo_attribute_set(c, M.MSTRO_ATTR_CORE_CDO_RAW_PTR, buf)
            M.mstro_cdo_offer(c)
            cdos.append(c)
            bufs.append(bytes(raw))
            del raw, buf  # Maestro keeps them alive until dispose
        cons = self.spawn("consumer", "-n", str(N), "-s", str(SIZE))
        M.mstro_cdo_demand(done)
        M.mstro_cdo_dispose(done)
        for c, b in zip(cdos, bufs):
            M.mstro_cdo_withdraw(c)
            self.assertEqual(bytes(M.mstro_cdo_access_ptr(c)), b)  # unchanged
            M.mstro_cdo_dispose(c)
        self.wait_ok(cons)

    def test_pm_from_python(self):
        M.mstro_init(self.workflow, "py-pm", 0)
        self.inited = True
        M.mstro_pm_start()
        with self.assertRaises(M.MaestroError) as cm:
            M.mstro_pm_start()
        self.assertEqual(cm.exception.status, M.MSTRO_NOT_TWICE)
        info = M.mstro_pm_getinfo()
        self.assertIsInstance(info, str)
        self.assertTrue(info)
        self.assertNotIn(";", info)
        os.environ["MSTRO_POOL_MANAGER_INFO"] = info
        prod = self.spawn("producer", "-n", "2", "-s", "65536")
        cons = self.spawn("consumer", "-n", "2", "-s", "65536", "--quiet")
        self.wait_ok(cons)
        self.wait_ok(prod)
        M.mstro_pm_terminate()
        with self.assertRaises(M.MaestroError) as cm:
            M.mstro_pm_getinfo()
        self.assertEqual(cm.exception.status, M.MSTRO_NOENT)


if __name__ == "__main__":
    unittest.main(verbosity=2)
