# SPDX-License-Identifier: BSD-3-Clause
"""Loading libmaestro and libmaestro-pm and declaring the C prototypes.

The libraries are loaded from the folder that the generated ``_paths``
module names (the install libdir relative to this package, or the build
tree), so no LD_LIBRARY_PATH is needed. Both are loaded with ``ctypes.CDLL``:
a CDLL call releases the GIL for its whole duration, so the blocking calls
(demand, withdraw, the waits, group demand) let other Python threads run.
"""

import ctypes
import os

from . import _paths

c_status = ctypes.c_int
c_p = ctypes.c_void_p


class mstro_timestamp(ctypes.Structure):
    """A point in time as C's ``mstro_timestamp``: ``sec`` (seconds since
    the epoch), ``nsec`` (0..999999999) and ``offset`` (UTC offset of the
    original time zone, minutes)."""

    _fields_ = [("sec", ctypes.c_int64), ("nsec", ctypes.c_int32), ("offset", ctypes.c_int32)]

    def __init__(self, sec=0, nsec=0, offset=0):
        # ctypes would wrap values that do not fit the fields silently
        for name, v, bits in (("sec", sec, 64), ("nsec", nsec, 32), ("offset", offset, 32)):
            if isinstance(v, bool) or not isinstance(v, int) or not -(1 << (bits - 1)) <= v < 1 << (bits - 1):
                raise ValueError("mstro_timestamp: %s=%r is not an int%d" % (name, v, bits))
        super().__init__(sec, nsec, offset)

    def __repr__(self):
        return "mstro_timestamp(sec=%d, nsec=%d, offset=%d)" % (self.sec, self.nsec, self.offset)

    def __eq__(self, other):
        if not isinstance(other, mstro_timestamp):
            return NotImplemented
        return (self.sec, self.nsec, self.offset) == (other.sec, other.nsec, other.offset)

    def __hash__(self):
        return hash((self.sec, self.nsec, self.offset))


class mstro_blob(ctypes.Structure):
    """C's ``mstro_blob``: ``len`` bytes at ``data``."""

    _fields_ = [("len", ctypes.c_size_t), ("data", c_p)]


class timespec(ctypes.Structure):
    """C's ``struct timespec`` (64-bit Linux layout)."""

    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _lib_path(name):
    """Path of a library in the folder _paths names."""
    base = _paths.LIBDIR
    if not os.path.isabs(base):
        base = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), base))
    return os.path.join(base, name)


def _load(name, extra_dir=None):
    """Load a library with ctypes.CDLL (calls release the GIL)."""
    path = _lib_path(name)
    if extra_dir is not None and not os.path.exists(path):
        path = os.path.join(extra_dir, name)
    try:
        return ctypes.CDLL(path)
    except OSError as e:
        raise ImportError("maestro_core: cannot load %s: %s" % (path, e)) from None


lib = _load(_paths.LIBMAESTRO)
# the build tree keeps libmaestro-pm in a folder of its own
pmlib = _load(_paths.LIBMAESTRO_PM, getattr(_paths, "PM_LIBDIR", None))
libc = ctypes.CDLL(None)


def _proto(dll, name, restype, *argtypes):
    """Declare the result and argument types of a C function."""
    fn = getattr(dll, name)
    fn.restype = restype
    fn.argtypes = list(argtypes)
    return fn


P = ctypes.POINTER
c_cstr = ctypes.c_char_p
c_bool = ctypes.c_bool
c_int64 = ctypes.c_int64
c_vt = ctypes.c_int  # enum mstro_cdo_attr_value_type

# name -> (dll, restype, argtypes): every public function of maestro.h
PROTOTYPES = {
    # maestro/status.h, maestro/core.h
    "mstro_status_description": (lib, c_cstr, [c_status]),
    "mstro_init": (lib, c_status, [c_cstr, c_cstr, c_int64]),
    "mstro_finalize": (lib, c_status, []),
    "mstro_version": (lib, c_cstr, []),
    "mstro_clock": (lib, ctypes.c_uint64, []),
    # maestro/attributes.h
    "mstro_cdo_attribute_set": (lib, c_status, [c_p, c_cstr, c_p, c_bool, c_bool]),
    "mstro_cdo_attribute_get": (lib, c_status, [c_p, c_cstr, P(c_vt), P(c_p)]),
    "mstro_cdo_attribute_type": (lib, c_status, [c_p, c_cstr, P(c_vt)]),
    "mstro_cdo_attribute_set_yaml": (lib, c_status, [c_p, c_cstr, c_cstr]),
    "mstro_cdo_attributes_print": (lib, c_status, [c_p]),
    # maestro/cdo.h
    "mstro_cdo_declare": (lib, c_status, [c_cstr, c_p, P(c_p)]),
    "mstro_cdo_seal": (lib, c_status, [c_p]),
    "mstro_cdo_offer": (lib, c_status, [c_p]),
    "mstro_cdo_withdraw": (lib, c_status, [c_p]),
    "mstro_cdo_require": (lib, c_status, [c_p]),
    "mstro_cdo_retract": (lib, c_status, [c_p]),
    "mstro_cdo_demand": (lib, c_status, [c_p]),
    "mstro_cdo_dispose": (lib, c_status, [c_p]),
    "mstro_cdo_access_ptr": (lib, c_status, [c_p, P(c_p), P(c_int64)]),
    "mstro_cdo_access_mamba_array": (lib, c_status, [c_p, P(c_p)]),
    "mstro_cdo_name": (lib, c_cstr, [c_p]),
    # maestro/selector.h
    "mstro_cdo_selector_create": (lib, c_status, [c_p, c_cstr, c_cstr, P(c_p)]),
    "mstro_cdo_selector_dispose": (lib, c_status, [c_p]),
    # maestro/pool_events.h
    "mstro_subscribe": (lib, c_status, [c_p, ctypes.c_int, ctypes.c_int, P(c_p)]),
    "mstro_subscription_poll": (lib, c_status, [c_p, P(c_p)]),
    "mstro_subscription_wait": (lib, c_status, [c_p, P(c_p)]),
    "mstro_subscription_timedwait": (lib, c_status, [c_p, P(timespec), P(c_p)]),
    "mstro_subscription_ack": (lib, c_status, [c_p, c_p]),
    "mstro_subscription_dispose": (lib, c_status, [c_p]),
    "mstro_pool_event_dispose": (lib, c_status, [c_p]),
    "mstro_pool_event_description": (lib, c_cstr, [ctypes.c_int]),
    # maestro/groups.h
    "mstro_group_declare": (lib, c_status, [c_cstr, P(c_p)]),
    "mstro_group_add": (lib, c_status, [c_p, c_p]),
    "mstro_group_add_by_name": (lib, c_status, [c_p, c_cstr]),
    "mstro_group_seal": (lib, c_status, [c_p]),
    "mstro_group_offer": (lib, c_status, [c_p]),
    "mstro_group_require": (lib, c_status, [c_p]),
    "mstro_group_demand": (lib, c_status, [c_p]),
    "mstro_group_withdraw": (lib, c_status, [c_p]),
    "mstro_group_retract": (lib, c_status, [c_p]),
    "mstro_group_size_get": (lib, c_status, [c_p, P(ctypes.c_size_t)]),
    "mstro_group_next": (lib, c_status, [c_p, P(c_p)]),
    "mstro_group_dispose": (lib, c_status, [c_p]),
    # maestro/pool_manager.h (libmaestro-pm)
    "mstro_pm_start": (pmlib, c_status, []),
    "mstro_pm_getinfo": (pmlib, c_status, [P(c_p)]),
    "mstro_pm_terminate": (pmlib, c_status, []),
}


class _C:
    """The declared C functions, as attributes named like in C."""


C = _C()
for _name, (_dll, _res, _args) in PROTOTYPES.items():
    setattr(C, _name, _proto(_dll, _name, _res, *_args))
_proto(libc, "free", None, c_p)
C.free = libc.free
