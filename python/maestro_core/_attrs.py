# SPDX-License-Identifier: BSD-3-Clause
"""CDO attributes: Python values converted by the type the schema gives
the key, never reinterpreted."""

import ctypes
import datetime
import math
import numbers

from . import _constants as K
from ._buffers import Pinned
from ._errors import MaestroError, check
from ._handles import addr, mstro_cdo
from ._lib import C, mstro_blob, mstro_timestamp

_INT_RANGES = {
    K.MSTRO_CDO_ATTR_VALUE_int32: (ctypes.c_int32, -(1 << 31), (1 << 31) - 1),
    K.MSTRO_CDO_ATTR_VALUE_int64: (ctypes.c_int64, -(1 << 63), (1 << 63) - 1),
    K.MSTRO_CDO_ATTR_VALUE_uint32: (ctypes.c_uint32, 0, (1 << 32) - 1),
    K.MSTRO_CDO_ATTR_VALUE_uint64: (ctypes.c_uint64, 0, (1 << 64) - 1),
}
_FLT_MAX = 3.4028234663852886e38


def _absolute(key):
    """The absolute form of a key (relative keys are in .maestro.core.cdo.)."""
    return key if key.startswith(".") else K.MSTRO_ATTR_CORE_CDO_NAMESPACE + key


def _type_name(t):
    """Name of a value type ("int64", ...)."""
    return K.VALUE_TYPES[t] if 0 <= t < len(K.VALUE_TYPES) else str(t)


def _is_bool(v):
    """Whether v is a bool (Python or numpy)."""
    t = type(v)
    return isinstance(v, bool) or (t.__module__ == "numpy" and t.__name__ in ("bool_", "bool"))


def _bytes(s, what):
    """A str argument as NUL-terminated UTF-8 (None stays None)."""
    if s is None:
        return None
    if not isinstance(s, str):
        raise MaestroError(K.MSTRO_INVARG, "%s: expected a str, got %s" % (what, type(s).__name__))
    if "\0" in s:
        raise MaestroError(K.MSTRO_INVARG, "%s: the string holds a NUL character" % what)
    return s.encode()


def _refuse(key, t, value, why=None):
    """Raise MSTRO_INVARG: value does not fit the type t of key."""
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    text = "mstro_cdo_attribute_set: '%s' is %s, %s %s does not fit" % (
        key,
        _type_name(t),
        type(value).__name__,
        shown,
    )
    if why:
        text += " (%s)" % why
    raise MaestroError(K.MSTRO_INVARG, text)


def _array_count(cdo, key):
    """Element count of an int64_array key: the value of its count key,
    which the public API names for layout.dims-size only (layout.ndims)."""
    if _absolute(key) != K.MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE:
        raise MaestroError(
            K.MSTRO_UNIMPL,
            "'%s': the element count of int64 arrays is known for layout.dims-size only" % key,
        )
    try:
        return mstro_cdo_attribute_get(cdo, K.MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS)
    except MaestroError as e:
        if e.status != K.MSTRO_NOENT:
            raise
        raise MaestroError(K.MSTRO_INVARG, "'%s': set layout.ndims first" % key) from None


def _to_int(key, t, value, lo, hi):
    """An integral Python value within [lo, hi], else MSTRO_INVARG."""
    if _is_bool(value) or not isinstance(value, numbers.Integral):
        _refuse(key, t, value)
    v = int(value)
    if not lo <= v <= hi:
        _refuse(key, t, value, "out of range")
    return v


def _timestamp(key, t, value):
    """An mstro_timestamp from an mstro_timestamp or an aware datetime."""
    if isinstance(value, mstro_timestamp):
        return mstro_timestamp(value.sec, value.nsec, value.offset)
    if isinstance(value, datetime.datetime):
        off = value.utcoffset()
        if off is None:
            _refuse(key, t, value, "a naive datetime has no time zone")
        delta = value - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        sec = delta.days * 86400 + delta.seconds
        return mstro_timestamp(sec, delta.microseconds * 1000, int(off.total_seconds()) // 60)
    _refuse(key, t, value)


def _to_c(cdo, key, t, value):
    """(ctypes object whose address is passed as `val`, pinned buffer or None)."""
    if t == K.MSTRO_CDO_ATTR_VALUE_bool:
        if not _is_bool(value):
            _refuse(key, t, value)
        return ctypes.c_bool(bool(value)), None
    if t in _INT_RANGES:
        ctype, lo, hi = _INT_RANGES[t]
        return ctype(_to_int(key, t, value, lo, hi)), None
    if t in (K.MSTRO_CDO_ATTR_VALUE_float, K.MSTRO_CDO_ATTR_VALUE_double):
        if _is_bool(value) or not isinstance(value, numbers.Real):
            _refuse(key, t, value)
        try:
            v = float(value)
        except OverflowError:
            _refuse(key, t, value, "out of range")
        if t == K.MSTRO_CDO_ATTR_VALUE_float:
            if math.isfinite(v) and abs(v) > _FLT_MAX:
                _refuse(key, t, value, "out of the range of a float")
            return ctypes.c_float(v), None
        return ctypes.c_double(v), None
    if t == K.MSTRO_CDO_ATTR_VALUE_cstring:
        if not isinstance(value, str) or "\0" in value:
            _refuse(key, t, value)
        return ctypes.c_char_p(value.encode()), None
    if t == K.MSTRO_CDO_ATTR_VALUE_timestamp:
        return _timestamp(key, t, value), None
    if t == K.MSTRO_CDO_ATTR_VALUE_pointer:
        if isinstance(value, (str, int, float)) or value is None:
            _refuse(key, t, value, "give an object with the buffer protocol")
        pin = Pinned(value, "mstro_cdo_attribute_set of '%s'" % key)
        return ctypes.c_void_p(pin.address), pin
    if t == K.MSTRO_CDO_ATTR_VALUE_blob:
        if isinstance(value, str):
            _refuse(key, t, value, "a blob takes bytes")
        pin = Pinned(value, "mstro_cdo_attribute_set of '%s'" % key)
        return mstro_blob(pin.nbytes, pin.address), pin  # copied by C, released after the set
    if t == K.MSTRO_CDO_ATTR_VALUE_int64_array:
        n = _array_count(cdo, key)
        if isinstance(value, (str, bytes, bytearray)) or not hasattr(value, "__iter__"):
            _refuse(key, t, value, "give a sequence of integers")
        _, lo, hi = _INT_RANGES[K.MSTRO_CDO_ATTR_VALUE_int64]
        items = [_to_int(key, t, x, lo, hi) for x in value]
        if len(items) != n:
            # C reads exactly n elements: never let it read past the list
            _refuse(key, t, value, "layout.ndims is %d" % n)
        return (ctypes.c_int64 * max(n, 1))(*items), None
    raise MaestroError(K.MSTRO_UNIMPL, "mstro_cdo_attribute_set: '%s' has type %s" % (key, _type_name(t)))


def mstro_cdo_attribute_type(cdo, key):
    """Type the loaded schemas declare for ``key`` (absolute or relative),
    one of ``M.MSTRO_CDO_ATTR_VALUE_*``; raises MaestroError (MSTRO_NOENT
    for a key no schema defines, MSTRO_INVSTATE for a disposed handle)."""
    p = addr(cdo, mstro_cdo, "mstro_cdo_attribute_type")
    t = ctypes.c_int(0)
    check(C.mstro_cdo_attribute_type(p, _bytes(key, "key"), ctypes.byref(t)), "mstro_cdo_attribute_type of '%s'" % key)
    return t.value


def mstro_cdo_attribute_set(cdo, key, value):
    """Set attribute ``key`` of a CDO that is not sealed yet, converting
    ``value`` by the key's schema type: bool (bool), int32/int64/uint32/
    uint64 (int, range checked), float/double (int or float), cstring (str),
    timestamp (``M.mstro_timestamp`` or an aware ``datetime``), blob (bytes-
    like, copied), int64_array (sequence of int), pointer (any contiguous
    object with the buffer protocol, kept alive until the CDO is disposed).
    For MSTRO_ATTR_CORE_CDO_RAW_PTR, scope.local-size is set to the buffer's
    size in bytes unless it was set. A value that does not fit the type
    raises MaestroError (MSTRO_INVARG); so do the C library's refusals."""
    p = addr(cdo, mstro_cdo, "mstro_cdo_attribute_set")
    k = _bytes(key, "key")
    t = ctypes.c_int(0)
    st = C.mstro_cdo_attribute_type(p, k, ctypes.byref(t))
    if st == K.MSTRO_NOENT:
        # an unknown key: the C library decides (refused, or dropped under
        # MSTRO_DROP_UNKNOWN_ATTRIBUTES=1); it never reads the value then
        dummy = ctypes.c_int64(0)
        check(C.mstro_cdo_attribute_set(p, k, ctypes.byref(dummy), True, False), "mstro_cdo_attribute_set of '%s'" % key)
        return
    check(st, "mstro_cdo_attribute_set of '%s'" % key)
    cval, pin = _to_c(cdo, key, t.value, value)
    try:
        check(C.mstro_cdo_attribute_set(p, k, ctypes.byref(cval), True, False), "mstro_cdo_attribute_set of '%s'" % key)
    except BaseException:
        if pin is not None:
            pin.release()
        raise
    if t.value == K.MSTRO_CDO_ATTR_VALUE_blob:
        pin.release()
        return
    if pin is None:
        return
    old = cdo._keep.pop(_absolute(key), ())
    cdo._keep[_absolute(key)] = (pin,)
    for o in old:
        o.release()
    if _absolute(key) == K.MSTRO_ATTR_CORE_CDO_RAW_PTR:
        cdo._readonly_data = pin.readonly
        if mstro_cdo_attribute_get(cdo, K.MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE) == -1:
            mstro_cdo_attribute_set(cdo, K.MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE, pin.nbytes)


def _from_c(cdo, key, t, vp):
    """The Python value of the stored C value of type t at address vp."""
    if t == K.MSTRO_CDO_ATTR_VALUE_bool:
        return bool(ctypes.c_bool.from_address(vp).value)
    if t in _INT_RANGES:
        return _INT_RANGES[t][0].from_address(vp).value
    if t == K.MSTRO_CDO_ATTR_VALUE_float:
        return ctypes.c_float.from_address(vp).value
    if t == K.MSTRO_CDO_ATTR_VALUE_double:
        return ctypes.c_double.from_address(vp).value
    if t == K.MSTRO_CDO_ATTR_VALUE_cstring:
        s = ctypes.c_char_p.from_address(vp).value
        return None if s is None else s.decode("utf-8", "replace")
    if t == K.MSTRO_CDO_ATTR_VALUE_timestamp:
        ts = mstro_timestamp.from_address(vp)
        return mstro_timestamp(ts.sec, ts.nsec, ts.offset)
    if t == K.MSTRO_CDO_ATTR_VALUE_pointer:
        return ctypes.c_void_p.from_address(vp).value
    if t == K.MSTRO_CDO_ATTR_VALUE_blob:
        b = mstro_blob.from_address(vp)
        return ctypes.string_at(b.data, b.len) if b.len else b""
    if t == K.MSTRO_CDO_ATTR_VALUE_int64_array:
        return list((ctypes.c_int64 * _array_count(cdo, key)).from_address(vp))
    if t == K.MSTRO_CDO_ATTR_VALUE_NA:
        return None
    raise MaestroError(K.MSTRO_UNIMPL, "mstro_cdo_attribute_get of '%s': type %s" % (key, _type_name(t)))


def mstro_cdo_attribute_get(cdo, key, valtype=None):
    """Value of attribute ``key`` (set, or the schema's default) as a Python
    object of the key's type: bool, int, float, str, ``M.mstro_timestamp``,
    bytes (blob), list of int (int64_array), int address or None (pointer).
    ``valtype`` is accepted for the C signature's sake and ignored (use
    mstro_cdo_attribute_type). Raises MaestroError: MSTRO_NOENT when the key
    has no value, MSTRO_INVARG for an unknown key."""
    p = addr(cdo, mstro_cdo, "mstro_cdo_attribute_get")
    t = ctypes.c_int(0)
    vp = ctypes.c_void_p()
    check(
        C.mstro_cdo_attribute_get(p, _bytes(key, "key"), ctypes.byref(t), ctypes.byref(vp)),
        "mstro_cdo_attribute_get of '%s'" % key,
    )
    if vp.value is None:
        return None
    return _from_c(cdo, key, t.value, vp.value)


def mstro_cdo_attribute_set_yaml(cdo, key, yaml_value):
    """Set an attribute from YAML text (``key`` None: ``yaml_value`` is
    "key: value"); the schema decides the type. Raises MaestroError."""
    p = addr(cdo, mstro_cdo, "mstro_cdo_attribute_set_yaml")
    check(
        C.mstro_cdo_attribute_set_yaml(p, _bytes(key, "key"), _bytes(yaml_value, "yaml_value")),
        "mstro_cdo_attribute_set_yaml",
    )


def mstro_cdo_attributes_print(cdo):
    """Write every attribute of the CDO to the log at info level."""
    check(C.mstro_cdo_attributes_print(addr(cdo, mstro_cdo, "mstro_cdo_attributes_print")), "mstro_cdo_attributes_print")
