# SPDX-License-Identifier: BSD-3-Clause
"""maestro_core in one process: every function and constant of maestro.h,
attribute conversions and their refusals, bytearray/bytes/memoryview/numpy
buffers, events and acks, groups, errors that raise and never crash, the
GIL released in blocking calls.

    MSTRO_SOURCE_DIR=<source tree> python3 test_api.py
"""

import ctypes
import datetime
import gc
import os
import re
import threading
import time
import unittest

import mtest
from mtest import numpy, NUMPY_SKIP

os.environ["MSTRO_SCHEMA_PATH"] = mtest.HERE
os.environ["MSTRO_SCHEMA_LIST"] = "python-types.yaml"
for v in ("MSTRO_POOL_MANAGER_INFO", "MSTRO_DROP_UNKNOWN_ATTRIBUTES", "MSTRO_WORKFLOW_NAME", "MSTRO_COMPONENT_NAME"):
    os.environ.pop(v, None)

import maestro_core as M  # noqa: E402

SRC = os.environ.get("MSTRO_SOURCE_DIR", os.path.join(mtest.HERE, "..", ".."))


def header(name):
    with open(os.path.join(SRC, "include", "maestro", name)) as f:
        return f.read()


class Base(unittest.TestCase):
    def setUp(self):
        M.mstro_init("pytest", "api", 0)

    def tearDown(self):
        try:
            M.mstro_finalize()
        except M.MaestroError as e:
            if e.status != M.MSTRO_UNINIT:
                raise

    def raises(self, status, fn, *args):
        with self.assertRaises(M.MaestroError) as cm:
            fn(*args)
        self.assertEqual(cm.exception.status, status, str(cm.exception))
        self.assertIn(M.mstro_status_description(status), str(cm.exception))
        return cm.exception


class TestSurface(unittest.TestCase):
    """Every public function of the headers, every constant, docstrings."""

    def test_every_function(self):
        names = set()
        for h in os.listdir(os.path.join(SRC, "include", "maestro")):
            names |= set(re.findall(r"MSTRO_API[^;(]*?\b(mstro_\w+)\s*\(", header(h)))
        self.assertGreater(len(names), 40)
        for n in sorted(names):
            fn = getattr(M, n, None)
            self.assertTrue(callable(fn), "maestro_core lacks %s" % n)
            self.assertTrue(fn.__doc__ and fn.__doc__.strip(), "%s has no docstring" % n)
            self.assertIn(n, M.__all__)
        for n in M.__all__:
            obj = getattr(M, n)
            if callable(obj):
                self.assertTrue(obj.__doc__ and obj.__doc__.strip(), "%s has no docstring" % n)

    def test_statuses(self):
        names = re.findall(r"X\((MSTRO_\w+), \"([^\"]*)\"\)", header("status.h"))
        self.assertEqual(names[0][0], "MSTRO_OK")
        for value, (name, text) in enumerate(names):
            self.assertEqual(getattr(M, name), value, name)
            self.assertEqual(M.mstro_status_description(value), text)
        self.assertEqual(M.MSTRO_STATUS_MAX, len(names))
        self.assertEqual(M.mstro_status_description(len(names)), "unknown status")
        self.assertEqual(M.mstro_status_description(-1), "unknown status")
        self.assertEqual(M.mstro_status_description(1 << 40), "unknown status")

    def test_flags_and_keys(self):
        ev = header("pool_events.h")
        kinds = re.findall(r"(MSTRO_POOL_EVENT_\w+) = 1 << (\d+)", ev)
        self.assertEqual(len(kinds), 17)
        for name, bit in kinds:
            self.assertEqual(getattr(M, name), 1 << int(bit), name)
            self.assertEqual(M.mstro_pool_event_description(1 << int(bit)), name[len("MSTRO_POOL_EVENT_"):])
        self.assertEqual(M.MSTRO_POOL_EVENT__ALL, (1 << 17) - 1)
        self.assertEqual(M.mstro_pool_event_description(3), "unknown")
        opts = re.findall(r"(MSTRO_SUBSCRIPTION_OPTS_\w+) = (?:1 << )?(\d+)", ev)
        self.assertEqual(len(opts), 5)
        for name, v in opts:
            want = 0 if name.endswith("DEFAULT") else 1 << int(v)
            self.assertEqual(getattr(M, name), want, name)
        both = M.MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK | M.MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS
        self.assertEqual(both, 6)
        at = header("attributes.h")
        keys = re.findall(r"#define (MSTRO_ATTR_CORE_CDO_\w+) \"([^\"]+)\"", at)
        self.assertGreaterEqual(len(keys), 14)
        for name, v in keys:
            self.assertEqual(getattr(M, name), v, name)
        for name, v in re.findall(r"(MSTRO_CDO_LAYOUT_ORDER_\w+) = (\d+)", at):
            self.assertEqual(getattr(M, name), int(v), name)
        body = re.search(r"enum mstro_cdo_attr_value_type \{(.*?)\};", at, re.S).group(1)
        types = re.findall(r"(MSTRO_CDO_ATTR_VALUE_\w+)", body)
        for value, name in enumerate(types):
            self.assertEqual(getattr(M, name), value, name)
        self.assertIsNone(M.MSTRO_ATTR_DEFAULT)

    def test_before_init(self):
        self.assertRegex(M.mstro_version(), r"^\d+\.\d+\.\d+$")
        t0 = M.mstro_clock()
        self.assertGreaterEqual(M.mstro_clock(), t0)
        for fn, args in (
            (M.mstro_finalize, ()),
            (M.mstro_cdo_declare, ("x", None)),
            (M.mstro_group_declare, ("g",)),
            (M.mstro_pm_start, ()),
        ):
            with self.assertRaises(M.MaestroError) as cm:
                fn(*args)
            self.assertEqual(cm.exception.status, M.MSTRO_UNINIT, fn.__name__)
        e = M.MaestroError(M.MSTRO_NOENT)
        self.assertIsInstance(e, Exception)
        self.assertIn("no such entry", str(e))


class TestLifecycle(Base):
    def test_init_twice_and_names(self):
        self.raises(M.MSTRO_NOT_TWICE, M.mstro_init, "pytest", "api", 0)
        M.mstro_finalize()
        self.raises(M.MSTRO_UNINIT, M.mstro_finalize)
        self.raises(M.MSTRO_INVARG, M.mstro_init, "w", "c", "zero")
        self.raises(M.MSTRO_INVARG, M.mstro_init, "w", "c", True)
        self.raises(M.MSTRO_INVARG, M.mstro_init, "w", 3, 0)
        self.raises(M.MSTRO_INVARG, M.mstro_init, "w\0x", "c", 0)
        self.raises(M.MSTRO_INVARG, M.mstro_init, "w", "c", -1)
        M.mstro_init(None if os.environ.get("MSTRO_WORKFLOW_NAME") else "w", "c", 1 << 40)

    def test_producer_consumer_bytearray(self):
        buf = bytearray(os.urandom(4099))
        p = M.mstro_cdo_declare("ba", M.MSTRO_ATTR_DEFAULT)
        self.assertEqual(M.mstro_cdo_name(p), "ba")
        M.mstro_cdo_attribute_set(p, M.MSTRO_ATTR_CORE_CDO_RAW_PTR, buf)
        self.assertEqual(M.mstro_cdo_attribute_get(p, "scope.local-size", None), 4099)
        self.assertEqual(M.mstro_cdo_attribute_get(p, M.MSTRO_ATTR_CORE_CDO_RAW_PTR), ctypes.addressof(
            (ctypes.c_char * len(buf)).from_buffer(buf)))
        with self.assertRaises(BufferError):
            buf.append(1)  # pinned: cannot move while Maestro points into it
        M.mstro_cdo_seal(p)
        M.mstro_cdo_offer(p)
        c = M.mstro_cdo_declare("ba", None)
        M.mstro_cdo_require(c)
        M.mstro_cdo_demand(c)
        v = M.mstro_cdo_access_ptr(c)
        self.assertIsInstance(v, memoryview)
        self.assertEqual(v.format, "B")
        self.assertEqual(bytes(v), bytes(buf))
        self.assertEqual(M.mstro_cdo_attribute_get(c, "scope.local-size"), 4099)
        M.mstro_cdo_dispose(c)
        with self.assertRaises(ValueError):
            v[0]  # released at dispose, not a dangling view
        M.mstro_cdo_withdraw(p)
        pv = M.mstro_cdo_access_ptr(p)  # the producer's again once withdrawn
        self.assertFalse(pv.readonly)
        M.mstro_cdo_dispose(p)
        buf.append(1)  # released at dispose
        self.assertEqual(M.mstro_cdo_name(p), "ba")
        self.raises(M.MSTRO_INVSTATE, M.mstro_cdo_seal, p)
        self.raises(M.MSTRO_INVSTATE, M.mstro_cdo_dispose, p)
        self.raises(M.MSTRO_INVSTATE, M.mstro_cdo_attribute_get, p, "scope.local-size")

    def test_readonly_and_memoryview(self):
        data = bytes(range(256)) * 4
        p = M.mstro_cdo_declare("ro", None)
        M.mstro_cdo_attribute_set(p, "raw-ptr", data)
        self.assertTrue(M.mstro_cdo_access_ptr(p).readonly)  # the caller's until offered
        M.mstro_cdo_offer(p)
        self.raises(M.MSTRO_INVSTATE, M.mstro_cdo_access_ptr, p)  # the pool's while offered
        c = M.mstro_cdo_declare("ro", None)
        M.mstro_cdo_demand(c)
        self.assertEqual(M.mstro_cdo_access_ptr(c).tobytes(), data)
        M.mstro_cdo_dispose(c)
        # a read-only buffer cannot receive data
        r = M.mstro_cdo_declare("ro", None)
        M.mstro_cdo_attribute_set(r, M.MSTRO_ATTR_CORE_CDO_RAW_PTR, b"\0" * len(data))
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_demand, r)
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_require, r)
        M.mstro_cdo_dispose(r)
        # a consumer's own writable buffer (memoryview of a bytearray slice)
        own = bytearray(len(data) + 10)
        r = M.mstro_cdo_declare("ro", None)
        M.mstro_cdo_attribute_set(r, M.MSTRO_ATTR_CORE_CDO_RAW_PTR, memoryview(own)[5:5 + len(data)])
        self.assertEqual(M.mstro_cdo_attribute_get(r, "scope.local-size"), len(data))
        M.mstro_cdo_demand(r)
        self.assertEqual(bytes(own[5:5 + len(data)]), data)
        self.assertEqual(own[:5], bytearray(5))
        M.mstro_cdo_dispose(r)
        M.mstro_cdo_withdraw(p)
        M.mstro_cdo_dispose(p)

    def test_size_set_first_is_kept(self):
        buf = bytearray(100)
        p = M.mstro_cdo_declare("sz", None)
        M.mstro_cdo_attribute_set(p, M.MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, 60)
        M.mstro_cdo_attribute_set(p, M.MSTRO_ATTR_CORE_CDO_RAW_PTR, buf)
        self.assertEqual(M.mstro_cdo_attribute_get(p, "scope.local-size"), 60)
        M.mstro_cdo_seal(p)
        self.assertEqual(len(M.mstro_cdo_access_ptr(p)), 60)
        M.mstro_cdo_dispose(p)

    def test_buffer_kept_alive_until_dispose(self):
        p = M.mstro_cdo_declare("alive", None)
        M.mstro_cdo_attribute_set(p, M.MSTRO_ATTR_CORE_CDO_RAW_PTR, bytearray(b"x" * 777))
        gc.collect()  # the only reference to the bytearray is Maestro's
        M.mstro_cdo_offer(p)
        c = M.mstro_cdo_declare("alive", None)
        M.mstro_cdo_demand(c)
        self.assertEqual(bytes(M.mstro_cdo_access_ptr(c)), b"x" * 777)
        M.mstro_cdo_dispose(c)
        M.mstro_cdo_withdraw(p)
        del p
        gc.collect()  # the handle object was dropped, the C handle lives on
        M.mstro_finalize()  # frees it; no crash

    def test_maestro_provided(self):
        p = M.mstro_cdo_declare("mp", None)
        M.mstro_cdo_attribute_set(p, "scope.local-size", 64)
        M.mstro_cdo_attribute_set(p, M.MSTRO_ATTR_CORE_CDO_ALLOCATE_NOW, True)
        M.mstro_cdo_seal(p)
        self.assertTrue(M.mstro_cdo_attribute_get(p, M.MSTRO_ATTR_CORE_CDO_MAESTRO_PROVIDED_STORAGE))
        v = M.mstro_cdo_access_ptr(p)
        v[:] = bytes(range(64))  # writable
        arr = M.mstro_cdo_access_mamba_array(p)
        self.assertIsInstance(arr, M.mmbArray)
        self.assertTrue(arr.address)
        M.mstro_cdo_offer(p)
        c = M.mstro_cdo_declare("mp", None)
        M.mstro_cdo_demand(c)
        self.assertEqual(bytes(M.mstro_cdo_access_ptr(c)), bytes(range(64)))
        M.mstro_cdo_dispose(c)
        M.mstro_cdo_withdraw(p)
        M.mstro_cdo_dispose(p)

    def test_no_data_and_states(self):
        p = M.mstro_cdo_declare("empty", None)
        self.raises(M.MSTRO_NOENT, M.mstro_cdo_access_ptr, p)  # declared, no buffer set
        self.raises(M.MSTRO_INVSTATE, M.mstro_cdo_withdraw, p)
        self.raises(M.MSTRO_INVSTATE, M.mstro_cdo_retract, p)
        M.mstro_cdo_seal(p)
        self.raises(M.MSTRO_INVSTATE, M.mstro_cdo_seal, p)
        self.raises(M.MSTRO_NOENT, M.mstro_cdo_access_ptr, p)
        self.raises(M.MSTRO_INVSTATE, M.mstro_cdo_attribute_set, p, "lifetime", 3)
        M.mstro_cdo_offer(p)
        self.raises(M.MSTRO_INVSTATE, M.mstro_cdo_dispose, p)
        M.mstro_cdo_withdraw(p)
        M.mstro_cdo_dispose(p)
        r = M.mstro_cdo_declare("r", None)
        M.mstro_cdo_require(r)
        M.mstro_cdo_retract(r)
        M.mstro_cdo_dispose(r)
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_declare, "", None)
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_declare, "x", object())
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_declare, b"x", None)

    def test_finalize_retires_handles(self):
        p = M.mstro_cdo_declare("f", None)
        M.mstro_cdo_attribute_set(p, "raw-ptr", bytearray(8))
        M.mstro_cdo_offer(p)
        s = M.mstro_subscribe(None, M.MSTRO_POOL_EVENT_OFFER, 0)
        g = M.mstro_group_declare("g")
        sel = M.mstro_cdo_selector_create(None, None, "(has name)")
        self.raises(M.MSTRO_FAIL, M.mstro_finalize)  # still offered: withdrawn, finalized
        self.raises(M.MSTRO_INVSTATE, M.mstro_cdo_withdraw, p)
        self.raises(M.MSTRO_INVARG, M.mstro_subscription_poll, s)
        self.raises(M.MSTRO_INVSTATE, M.mstro_group_seal, g)
        M.mstro_cdo_selector_dispose(sel)  # selectors are the caller's
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_selector_dispose, sel)


class TestAttributes(Base):
    def setUp(self):
        super().setUp()
        self.c = M.mstro_cdo_declare("attrs", None)

    def tearDown(self):
        if self.c:
            M.mstro_cdo_dispose(self.c)
        super().tearDown()

    def roundtrip(self, key, value, want=None):
        M.mstro_cdo_attribute_set(self.c, key, value)
        got = M.mstro_cdo_attribute_get(self.c, key, None)
        self.assertEqual(got, value if want is None else want, key)
        self.assertIs(type(got), type(value if want is None else want), key)

    def refused(self, key, value):
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_attribute_set, self.c, key, value)

    def test_types(self):
        T = M.mstro_cdo_attribute_type
        c = self.c
        self.assertEqual(T(c, ".py.b"), M.MSTRO_CDO_ATTR_VALUE_bool)
        self.assertEqual(T(c, ".py.i32"), M.MSTRO_CDO_ATTR_VALUE_int32)
        self.assertEqual(T(c, ".py.u32"), M.MSTRO_CDO_ATTR_VALUE_uint32)
        self.assertEqual(T(c, ".py.u64"), M.MSTRO_CDO_ATTR_VALUE_uint64)
        self.assertEqual(T(c, ".py.f"), M.MSTRO_CDO_ATTR_VALUE_float)
        self.assertEqual(T(c, "layout.dims-size"), M.MSTRO_CDO_ATTR_VALUE_int64_array)
        self.assertEqual(T(c, M.MSTRO_ATTR_CORE_CDO_NAME), M.MSTRO_CDO_ATTR_VALUE_cstring)
        self.raises(M.MSTRO_NOENT, T, c, "no-such-key")
        self.raises(M.MSTRO_INVARG, T, c, None)
        self.raises(M.MSTRO_INVARG, T, None, "name")

    def test_bool(self):
        self.roundtrip(".py.b", True)
        self.roundtrip(".py.b", False)
        for bad in (1, 0, "yes", 1.0, None):
            self.refused(".py.b", bad)
        self.assertFalse(M.mstro_cdo_attribute_get(self.c, ".py.b"))  # refusals change nothing

    def test_integers(self):
        self.roundtrip(".py.i32", -1000)
        self.roundtrip(".py.i64", -(1 << 63))
        self.roundtrip(".py.i64", (1 << 63) - 1)
        self.roundtrip(".py.u32", (1 << 32) - 1)
        self.roundtrip(".py.u64", (1 << 64) - 1)
        self.roundtrip(".py.u64", 0)
        self.roundtrip("lifetime", 7)
        self.refused(".py.i64", 1 << 63)
        self.refused(".py.u32", 1 << 32)
        self.refused(".py.u64", -1)
        self.refused(".py.u64", 1 << 64)
        self.refused(".py.i32", 1001)  # the schema's range (refused by C)
        self.refused("scope.local-size", -2)
        for bad in (True, 1.0, 2.5, "3", b"3", None, [1]):
            self.refused(".py.i64", bad)
        self.assertEqual(M.mstro_cdo_attribute_get(self.c, ".py.i64"), (1 << 63) - 1)
        self.assertEqual(M.mstro_cdo_attribute_get(self.c, "lifetime"), 7)

    def test_floats(self):
        self.roundtrip(".py.d", 2.5)
        self.roundtrip(".py.d", 3, 3.0)
        self.roundtrip(".py.f", 0.5)
        self.roundtrip(".py.f", float("inf"))
        M.mstro_cdo_attribute_set(self.c, ".py.f", 0.1)
        self.assertAlmostEqual(M.mstro_cdo_attribute_get(self.c, ".py.f"), 0.1, places=6)
        self.refused(".py.f", 1e39)
        self.refused(".py.d", 10 ** 400)
        for bad in (True, "1.5", None, 1j):
            self.refused(".py.d", bad)

    def test_strings(self):
        self.roundtrip(".py.s", "h\u00e9llo")
        self.roundtrip("mem-layer", "DRAM")
        self.refused(".py.s", "x" * 17)  # max=16 (C)
        for bad in (b"bytes", 3, None, "nul\0inside"):
            self.refused(".py.s", bad)
        self.assertEqual(M.mstro_cdo_attribute_get(self.c, "name"), "attrs")
        self.raises(M.MSTRO_INVSTATE, M.mstro_cdo_attribute_set, self.c, "name", "other")

    def test_timestamp(self):
        ts = M.mstro_timestamp(1700000000, 123456789, 60)
        self.roundtrip(".py.ts", ts)
        dt = datetime.datetime(2024, 5, 1, 12, 0, 0, 500000, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
        M.mstro_cdo_attribute_set(self.c, ".py.ts", dt)
        got = M.mstro_cdo_attribute_get(self.c, ".py.ts")
        self.assertEqual((got.sec, got.nsec, got.offset), (int(dt.timestamp()), 500000000, 120))
        for bad in (datetime.datetime(2024, 5, 1), 1700000000, "2024-05-01T00:00:00Z", None):
            self.refused(".py.ts", bad)
        self.refused(".py.ts", M.mstro_timestamp(0, 2000000000, 0))  # nsec range (C)
        with self.assertRaises(ValueError):
            M.mstro_timestamp(1 << 63, 0, 0)  # never wrapped
        with self.assertRaises(ValueError):
            M.mstro_timestamp(0, 1.5, 0)

    def test_blob_and_arrays(self):
        self.roundtrip(".py.blob", b"\x00\x01binary\xff")
        M.mstro_cdo_attribute_set(self.c, ".py.blob", bytearray(b"ba"))
        self.assertEqual(M.mstro_cdo_attribute_get(self.c, ".py.blob"), b"ba")
        M.mstro_cdo_attribute_set(self.c, ".py.blob", memoryview(b"mv"))
        self.assertEqual(M.mstro_cdo_attribute_get(self.c, ".py.blob"), b"mv")
        self.refused(".py.blob", b"x" * 1025)
        for bad in ("text", 5, None):
            self.refused(".py.blob", bad)
        M.mstro_cdo_attribute_set(self.c, M.MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS, 3)
        self.roundtrip(M.MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE, [2, 3, 4])
        self.roundtrip("layout.dims-size", (5, 6, 7), [5, 6, 7])
        self.refused("layout.dims-size", [1, 2])  # count disagrees with ndims (C)
        for bad in ([1, 2.0, 3], [1, True, 3], "abc", 7, [1, -1, 2]):
            self.refused("layout.dims-size", bad)
        self.roundtrip("layout.order", M.MSTRO_CDO_LAYOUT_ORDER_COLMAJOR)
        self.refused("layout.order", 3)
        self.refused("layout.dims-size", [1, 2, 3, 4])
        self.assertEqual(M.mstro_cdo_attribute_get(self.c, "layout.dims-size"), [5, 6, 7])
        # int64 arrays of user schemas: the API does not name their count key
        M.mstro_cdo_attribute_set(self.c, ".py.n", 2)
        self.raises(M.MSTRO_UNIMPL, M.mstro_cdo_attribute_set, self.c, ".py.arr", [10, 20])
        self.raises(M.MSTRO_NOENT, M.mstro_cdo_attribute_get, self.c, ".py.arr")

    def test_dims_before_ndims(self):
        self.refused("layout.dims-size", [1, 2])

    def test_pointer(self):
        b = bytearray(16)
        M.mstro_cdo_attribute_set(self.c, ".py.p", b)
        self.assertEqual(
            M.mstro_cdo_attribute_get(self.c, ".py.p"), ctypes.addressof((ctypes.c_char * 16).from_buffer(b))
        )
        for bad in (12345, None, "str", 1.0, object()):
            self.refused(".py.p", bad)
        self.refused(M.MSTRO_ATTR_CORE_CDO_RAW_PTR, 0xDEADBEEF)

    def test_unknown_and_yaml(self):
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_attribute_set, self.c, "no-such-key", 1)
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_attribute_get, self.c, "no-such-key")
        self.raises(M.MSTRO_NOENT, M.mstro_cdo_attribute_get, self.c, ".py.i64")
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_attribute_set, self.c, 5, 1)
        M.mstro_cdo_attribute_set_yaml(self.c, "lifetime", "42")
        self.assertEqual(M.mstro_cdo_attribute_get(self.c, "lifetime"), 42)
        M.mstro_cdo_attribute_set_yaml(self.c, None, ".py.s: yaml")
        self.assertEqual(M.mstro_cdo_attribute_get(self.c, ".py.s"), "yaml")
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_attribute_set_yaml, self.c, "lifetime", "forty")
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_attribute_set_yaml, self.c, "lifetime", None)
        M.mstro_cdo_attributes_print(self.c)
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_attributes_print, None)
        os.environ["MSTRO_DROP_UNKNOWN_ATTRIBUTES"] = "1"
        try:
            M.mstro_cdo_attribute_set(self.c, "no-such-key", 1)  # dropped by C, as documented
        finally:
            del os.environ["MSTRO_DROP_UNKNOWN_ATTRIBUTES"]


@unittest.skipIf(numpy is None, NUMPY_SKIP)
class TestNumpy(Base):
    def test_numpy_zero_copy(self):
        a = numpy.arange(12, dtype=numpy.float64).reshape(3, 4)
        p = M.mstro_cdo_declare("np", None)
        M.mstro_cdo_attribute_set(p, M.MSTRO_ATTR_CORE_CDO_RAW_PTR, a)
        M.mstro_cdo_attribute_set(p, "layout.element-size", numpy.int64(8))
        M.mstro_cdo_attribute_set(p, "layout.ndims", 2)
        M.mstro_cdo_attribute_set(p, "layout.dims-size", numpy.array([3, 4]))
        self.assertEqual(M.mstro_cdo_attribute_get(p, "scope.local-size"), a.nbytes)
        self.assertEqual(M.mstro_cdo_attribute_get(p, "raw-ptr"), a.ctypes.data)
        pv = numpy.frombuffer(M.mstro_cdo_access_ptr(p), numpy.float64)
        self.assertEqual(pv.ctypes.data, a.ctypes.data)  # zero-copy on the producer side
        M.mstro_cdo_offer(p)
        c = M.mstro_cdo_declare("np", None)
        M.mstro_cdo_demand(c)
        v = M.mstro_cdo_access_ptr(c)
        arr = numpy.frombuffer(v, numpy.float64).reshape(M.mstro_cdo_attribute_get(c, "layout.dims-size"))
        self.assertTrue(numpy.array_equal(arr, a))
        ptr, n = ctypes.c_void_p(), ctypes.c_int64()
        from maestro_core._lib import C

        C.mstro_cdo_access_ptr(c._ptr, ctypes.byref(ptr), ctypes.byref(n))
        self.assertEqual(arr.ctypes.data, ptr.value)  # the view is the CDO's memory
        del arr
        M.mstro_cdo_dispose(c)
        del pv
        M.mstro_cdo_withdraw(p)
        M.mstro_cdo_dispose(p)

    def test_numpy_refusals_and_scalars(self):
        c = M.mstro_cdo_declare("npv", None)
        M.mstro_cdo_attribute_set(c, ".py.i32", numpy.int32(-5))
        self.assertEqual(M.mstro_cdo_attribute_get(c, ".py.i32"), -5)
        M.mstro_cdo_attribute_set(c, ".py.d", numpy.float32(0.25))
        self.assertEqual(M.mstro_cdo_attribute_get(c, ".py.d"), 0.25)
        M.mstro_cdo_attribute_set(c, ".py.b", numpy.bool_(True))
        self.assertIs(M.mstro_cdo_attribute_get(c, ".py.b"), True)
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_attribute_set, c, ".py.i64", numpy.float64(1.0))
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_attribute_set, c, ".py.i64", numpy.bool_(True))
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_attribute_set, c, ".py.u32", numpy.int64(-1))
        strided = numpy.arange(20, dtype=numpy.int32)[::2]
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_attribute_set, c, "raw-ptr", strided)
        fortran = numpy.asfortranarray(numpy.ones((3, 5)))
        M.mstro_cdo_attribute_set(c, "raw-ptr", fortran)  # contiguous, in another order
        self.assertEqual(M.mstro_cdo_attribute_get(c, "scope.local-size"), fortran.nbytes)
        M.mstro_cdo_dispose(c)

    def test_numpy_consumer_buffer(self):
        src = numpy.random.default_rng(1).integers(0, 1 << 30, 1000, dtype=numpy.int64)
        p = M.mstro_cdo_declare("npc", None)
        M.mstro_cdo_attribute_set(p, "raw-ptr", src)
        M.mstro_cdo_offer(p)
        dst = numpy.zeros(1000, dtype=numpy.int64)
        c = M.mstro_cdo_declare("npc", None)
        M.mstro_cdo_attribute_set(c, "raw-ptr", dst)
        M.mstro_cdo_demand(c)
        self.assertTrue(numpy.array_equal(dst, src))
        M.mstro_cdo_dispose(c)
        M.mstro_cdo_withdraw(p)
        M.mstro_cdo_dispose(p)
        ro = numpy.zeros(10)
        ro.flags.writeable = False
        r = M.mstro_cdo_declare("npc", None)
        M.mstro_cdo_attribute_set(r, "raw-ptr", ro)
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_demand, r)
        M.mstro_cdo_dispose(r)


class TestEvents(Base):
    def offer(self, name, data=b"12345678"):
        p = M.mstro_cdo_declare(name, None)
        M.mstro_cdo_attribute_set(p, "raw-ptr", bytearray(data))
        M.mstro_cdo_offer(p)
        return p

    def test_poll_selector_payloads(self):
        sel = M.mstro_cdo_selector_create(None, None, '(name ~= "^ev[.]")')
        s = M.mstro_subscribe(sel, M.MSTRO_POOL_EVENT_OFFER | M.MSTRO_POOL_EVENT_DEMAND | M.MSTRO_POOL_EVENT_TRANSFER_COMPLETED, M.MSTRO_SUBSCRIPTION_OPTS_DEFAULT)
        M.mstro_cdo_selector_dispose(sel)  # the subscription has its own copy
        self.assertIsNone(M.mstro_subscription_poll(s))
        t0 = time.time_ns()
        a = self.offer("ev.a")
        b = self.offer("other")
        c = M.mstro_cdo_declare("ev.a", None)
        M.mstro_cdo_demand(c)
        evs = M.mstro_subscription_poll(s)
        self.assertIsInstance(evs, list)
        kinds = [e.kind for e in evs]
        self.assertEqual(kinds[0], M.MSTRO_POOL_EVENT_OFFER)
        self.assertIn(M.MSTRO_POOL_EVENT_DEMAND, kinds)
        self.assertIn(M.MSTRO_POOL_EVENT_TRANSFER_COMPLETED, kinds)
        serials = [e.serial for e in evs]
        self.assertEqual(serials, sorted(serials))
        for e in evs:
            self.assertGreaterEqual(e.ctime, t0 - 10**9)
            if e.kind == M.MSTRO_POOL_EVENT_TRANSFER_COMPLETED:
                t = e.payload.transfer_completed
                self.assertEqual((t.cdo_name, t.size, t.transport), ("ev.a", 8, "LOCAL"))
                self.assertIs(e.transfer_completed, t)
                self.assertIsNone(e.payload.offer)
            else:
                self.assertEqual(e.payload.offer.cdo_name, "ev.a")
                self.assertIsInstance(e.payload.offer.cdo_name, str)
                self.assertEqual(e.offer.appid, e.payload.demand.appid)
                self.assertIsNone(e.payload.join)
        self.assertNotIn("other", [e.payload.offer.cdo_name for e in evs if e.payload.offer])
        self.raises(M.MSTRO_INVARG, M.mstro_subscription_ack, s, evs)  # no REQUIRE_ACK
        M.mstro_pool_event_dispose(evs)
        self.assertEqual(evs[0].payload.offer.cdo_name, "ev.a")  # the Python objects stay
        self.assertIsNone(M.mstro_subscription_timedwait(s, 0.05))
        M.mstro_cdo_dispose(c)
        for x in (a, b):
            M.mstro_cdo_withdraw(x)
            M.mstro_cdo_dispose(x)
        M.mstro_subscription_dispose(s)
        self.raises(M.MSTRO_INVARG, M.mstro_subscription_poll, s)
        self.raises(M.MSTRO_INVARG, M.mstro_subscription_dispose, s)

    def test_ack_and_gil(self):
        """An offer held by a REQUIRE_ACK subscription of another thread:
        the offer blocks (GIL released: the acker thread runs Python) and
        returns once the events are acked."""
        s = M.mstro_subscribe(None, M.MSTRO_POOL_EVENT_OFFER, M.MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK)
        got, ticks = [], []
        stop = threading.Event()

        def ticker():
            while not stop.is_set():
                ticks.append(1)
                time.sleep(0.001)

        def acker():
            evs = M.mstro_subscription_wait(s)
            got.extend(evs)
            time.sleep(0.2)
            got.append(time.monotonic())
            M.mstro_subscription_ack(s, evs)

        threads = [threading.Thread(target=ticker), threading.Thread(target=acker)]
        for t in threads:
            t.start()
        time.sleep(0.05)
        n0 = len(ticks)
        p = self.offer("held")
        returned = time.monotonic()
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(got[0].kind, M.MSTRO_POOL_EVENT_OFFER)
        self.assertEqual(got[0].payload.offer.cdo_name, "held")
        self.assertGreaterEqual(returned, got[-1])  # the offer waited for the ack
        self.assertGreater(len(ticks) - n0, 20)  # other threads ran during the blocking calls
        self.raises(M.MSTRO_INVARG, M.mstro_subscription_ack, s, got[:1])  # acked already
        M.mstro_cdo_withdraw(p)
        M.mstro_cdo_dispose(p)
        self.raises(M.MSTRO_INVARG, M.mstro_subscription_ack, s, [])
        self.raises(M.MSTRO_INVARG, M.mstro_subscription_ack, s, ["not an event"])
        self.raises(M.MSTRO_INVARG, M.mstro_subscription_ack, s, None)
        M.mstro_subscription_dispose(s)

    def test_wait_ended_by_dispose(self):
        s = M.mstro_subscribe(None, M.MSTRO_POOL_EVENT_OFFER, 0)
        out = []

        def waiter():
            try:
                M.mstro_subscription_wait(s)
            except M.MaestroError as e:
                out.append(e.status)

        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.2)
        M.mstro_subscription_dispose(s)
        t.join(10)
        self.assertFalse(t.is_alive())
        self.assertEqual(out, [M.MSTRO_INVARG])

    def test_subscribe_refusals(self):
        self.raises(M.MSTRO_INVARG, M.mstro_subscribe, None, 0, 0)  # empty mask (C)
        self.raises(M.MSTRO_INVARG, M.mstro_subscribe, None, "OFFER", 0)
        self.raises(M.MSTRO_INVARG, M.mstro_subscribe, None, M.MSTRO_POOL_EVENT_OFFER, -1)
        self.raises(M.MSTRO_INVARG, M.mstro_subscribe, "sel", M.MSTRO_POOL_EVENT_OFFER, 0)
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_selector_create, None, None, "(name = ")
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_selector_create, "schema", None, None)
        s = M.mstro_subscribe(None, M.MSTRO_POOL_EVENT_OFFER, 0)
        self.raises(M.MSTRO_INVARG, M.mstro_subscription_timedwait, s, "1")
        self.raises(M.MSTRO_INVARG, M.mstro_subscription_timedwait, s, float("nan"))
        self.assertIsNone(M.mstro_subscription_timedwait(s, -5))
        self.raises(M.MSTRO_INVARG, M.mstro_pool_event_description, "OFFER")
        M.mstro_subscription_dispose(s)


class TestGroups(Base):
    def test_group_in_one_process(self):
        ms = []
        g = M.mstro_group_declare("grp")
        for i in range(3):
            c = M.mstro_cdo_declare("grp.m%d" % i, None)
            M.mstro_cdo_attribute_set(c, "raw-ptr", bytearray([i]) * 10)
            M.mstro_group_add(g, c)
            ms.append(c)
        M.mstro_group_add_by_name(g, "grp.byname")
        self.raises(M.MSTRO_INVARG, M.mstro_group_add, g, ms[0])
        self.assertEqual(M.mstro_group_size_get(g), 4)
        M.mstro_group_seal(g)
        self.raises(M.MSTRO_INVSTATE, M.mstro_group_seal, g)
        self.raises(M.MSTRO_INVSTATE, M.mstro_group_add_by_name, g, "late")
        extra = M.mstro_cdo_declare("grp.byname", None)
        M.mstro_cdo_attribute_set(extra, "raw-ptr", bytearray(b"n") * 3)
        M.mstro_cdo_offer(extra)
        M.mstro_group_offer(g)
        r = M.mstro_group_declare("grp")
        M.mstro_group_require(r)
        M.mstro_group_retract(r)
        M.mstro_group_demand(r)
        self.assertEqual(M.mstro_group_size_get(r), 4)
        names, members = [], []
        m = M.mstro_group_next(r)
        while m is not None:
            names.append(M.mstro_cdo_name(m))
            members.append(m)
            m = M.mstro_group_next(r)
        self.assertEqual(sorted(names), ["grp.byname", "grp.m0", "grp.m1", "grp.m2"])
        for m in members:
            if M.mstro_cdo_name(m) == "grp.m1":
                M.mstro_cdo_demand(m)
                self.assertEqual(bytes(M.mstro_cdo_access_ptr(m)), b"\x01" * 10)
        M.mstro_group_dispose(r)
        self.raises(M.MSTRO_INVSTATE, M.mstro_cdo_access_ptr, members[0])  # disposed with the group
        self.raises(M.MSTRO_INVSTATE, M.mstro_group_size_get, r)
        self.raises(M.MSTRO_INVSTATE, M.mstro_group_dispose, g)  # offered
        M.mstro_group_withdraw(g)
        M.mstro_group_dispose(g)
        M.mstro_cdo_withdraw(extra)
        for c in ms + [extra]:
            M.mstro_cdo_dispose(c)
        self.raises(M.MSTRO_INVARG, M.mstro_group_declare, "")
        self.raises(M.MSTRO_INVARG, M.mstro_group_add, None, None)
        self.raises(M.MSTRO_INVARG, M.mstro_group_next, "g")


class TestNeverCrash(Base):
    def test_garbage_everywhere(self):
        """Every function with wrong, None and foreign arguments raises."""
        junk = [None, 0, -1, "x", b"x", 1.5, object(), [], ctypes.c_void_p(16)]
        skip = {"mstro_init", "mstro_finalize", "mstro_pm_start", "mstro_pm_terminate", "mstro_pm_getinfo",
                "mstro_version", "mstro_clock", "mstro_status_description", "mstro_pool_event_description",
                "mstro_cdo_name"}
        for n in M.__all__:
            fn = getattr(M, n)
            if not n.startswith("mstro_") or not callable(fn) or isinstance(fn, type) or n in skip:
                continue
            argc = fn.__code__.co_argcount
            for j in junk:
                args = [j] * argc
                try:
                    fn(*args)
                except M.MaestroError as e:
                    self.assertNotEqual(e.status, M.MSTRO_OK)
                else:
                    if argc:
                        # only a match-all selector or a group/cdo named "x" may be made of junk
                        self.assertIn(n, ("mstro_cdo_selector_create", "mstro_group_declare",
                                          "mstro_cdo_declare"), "%s(%r) did not raise" % (n, j))
        self.raises(M.MSTRO_INVARG, M.mstro_cdo_name, "x")
        self.assertIsNone(M.mstro_cdo_name(None))

    def test_pm_calls_without_pm(self):
        self.raises(M.MSTRO_NOENT, M.mstro_pm_getinfo)
        self.raises(M.MSTRO_NOENT, M.mstro_pm_terminate)


if __name__ == "__main__":
    unittest.main(verbosity=2)
