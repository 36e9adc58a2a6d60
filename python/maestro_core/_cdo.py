# SPDX-License-Identifier: BSD-3-Clause
"""CDO lifecycle and data access (maestro/cdo.h)."""

import ctypes

from . import _constants as K
from ._attrs import _bytes
from ._buffers import view_of
from ._errors import MaestroError, check
from ._handles import addr, mstro_cdo
from ._lib import C


class mmbArray:
    """Opaque handle of the libmamba array of a CDO (``mmbArray *``), owned
    by the CDO and valid until it is disposed; ``address`` is the C pointer
    (for passing to libmamba through ctypes)."""

    def __init__(self, address):
        self.address = address

    def __repr__(self):
        return "<mmbArray 0x%x>" % self.address


def mstro_cdo_declare(name, attr=None):
    """Declare a CDO named ``name`` and return its handle. ``attr`` must be
    None (MSTRO_ATTR_DEFAULT): the C API has no way to build a predefined
    attribute set. Raises MaestroError (MSTRO_INVARG for an empty name,
    MSTRO_UNINIT before mstro_init)."""
    if attr is not None:
        raise MaestroError(K.MSTRO_INVARG, "mstro_cdo_declare: attr must be None (MSTRO_ATTR_DEFAULT)")
    out = ctypes.c_void_p()
    check(C.mstro_cdo_declare(_bytes(name, "name"), None, ctypes.byref(out)), "mstro_cdo_declare of '%s'" % name)
    return mstro_cdo(out.value, name)


def _op(fn, what, cdo):
    """Call a C function that takes the CDO only; raise on failure."""
    check(fn(addr(cdo, mstro_cdo, what)), "%s of '%s'" % (what, getattr(cdo, "_name", "?")))


def _writable(cdo, what):
    """MSTRO_INVARG when data are to arrive in a read-only raw-ptr buffer."""
    if cdo._ptr is not None and cdo._readonly_data:
        raise MaestroError(
            K.MSTRO_INVARG, "%s of '%s': raw-ptr is a read-only buffer, data cannot arrive in it" % (what, cdo._name)
        )


def mstro_cdo_seal(cdo):
    """Seal: the attributes are final; Maestro-provided memory is allocated
    if asked. Raises MaestroError."""
    _op(C.mstro_cdo_seal, "mstro_cdo_seal", cdo)


def mstro_cdo_offer(cdo):
    """Offer the CDO to the pool (sealing it first if needed); may block
    while REQUIRE_ACK subscribers hold it (the GIL is released). Raises
    MaestroError."""
    _op(C.mstro_cdo_offer, "mstro_cdo_offer", cdo)


def mstro_cdo_withdraw(cdo):
    """Withdraw an offered CDO; blocks (GIL released) until transfers and
    zero-copy consumers are done. Raises MaestroError."""
    _op(C.mstro_cdo_withdraw, "mstro_cdo_withdraw", cdo)


def mstro_cdo_require(cdo):
    """Announce a future demand. Raises MaestroError (MSTRO_INVARG when the
    CDO's raw-ptr is a read-only buffer)."""
    if isinstance(cdo, mstro_cdo):
        _writable(cdo, "mstro_cdo_require")
    _op(C.mstro_cdo_require, "mstro_cdo_require", cdo)


def mstro_cdo_retract(cdo):
    """Cancel a require. Raises MaestroError."""
    _op(C.mstro_cdo_retract, "mstro_cdo_retract", cdo)


def mstro_cdo_demand(cdo):
    """Demand: blocks (GIL released) until data and metadata are local.
    Raises MaestroError (MSTRO_NO_PM when the Pool Manager went away,
    MSTRO_INVARG when the CDO's raw-ptr is a read-only buffer)."""
    if isinstance(cdo, mstro_cdo):
        _writable(cdo, "mstro_cdo_demand")
    _op(C.mstro_cdo_demand, "mstro_cdo_demand", cdo)


def mstro_cdo_dispose(cdo):
    """Dispose the handle and what it owns; the buffers given to it are
    released and the views of mstro_cdo_access_ptr end. Raises MaestroError
    (MSTRO_INVSTATE while offered or required, or when already disposed)."""
    _op(C.mstro_cdo_dispose, "mstro_cdo_dispose", cdo)
    cdo._retire()


def mstro_cdo_access_ptr(cdo):
    """The CDO's bytes as a ``memoryview`` (format 'B') of its memory, no
    copy (``numpy.frombuffer(view, dtype)`` is zero-copy too); read-only
    when the producer's buffer was. Valid until mstro_cdo_dispose, which
    releases the view. Raises MaestroError (MSTRO_NOENT: no data,
    MSTRO_INVSTATE: not local yet)."""
    p = addr(cdo, mstro_cdo, "mstro_cdo_access_ptr")
    data = ctypes.c_void_p()
    n = ctypes.c_int64(0)
    check(C.mstro_cdo_access_ptr(p, ctypes.byref(data), ctypes.byref(n)), "mstro_cdo_access_ptr of '%s'" % cdo._name)
    if n.value == 0 or data.value is None:
        return memoryview(b"")
    pin = cdo._keep.get(K.MSTRO_ATTR_CORE_CDO_RAW_PTR)
    readonly = pin is not None and pin[0].readonly and pin[0].address == data.value
    v = view_of(data.value, n.value, readonly)
    cdo._views.append(v)
    return v


def mstro_cdo_access_mamba_array(cdo):
    """The CDO's data as an opaque libmamba array handle (``mmbArray``),
    owned by the CDO. Raises MaestroError."""
    p = addr(cdo, mstro_cdo, "mstro_cdo_access_mamba_array")
    out = ctypes.c_void_p()
    check(C.mstro_cdo_access_mamba_array(p, ctypes.byref(out)), "mstro_cdo_access_mamba_array")
    return mmbArray(out.value)


def mstro_cdo_name(cdo):
    """Name of the CDO as declared (also after dispose, as in C); None for
    None."""
    if cdo is None:
        return None
    if not isinstance(cdo, mstro_cdo):
        raise MaestroError(K.MSTRO_INVARG, "mstro_cdo_name: expected a cdo, got %s" % type(cdo).__name__)
    return cdo._name
