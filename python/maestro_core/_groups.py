# SPDX-License-Identifier: BSD-3-Clause
"""Groups of CDOs (maestro/groups.h)."""

import ctypes

from ._attrs import _bytes
from ._errors import check
from ._handles import addr, lookup, mstro_cdo, mstro_group
from ._lib import C


def mstro_group_declare(name):
    """Declare a group named ``name``; returns its handle. Raises MaestroError."""
    out = ctypes.c_void_p()
    check(C.mstro_group_declare(_bytes(name, "name"), ctypes.byref(out)), "mstro_group_declare of '%s'" % name)
    return mstro_group(out.value)


def _g(fn, what, g, *args):
    """Call a C group function; raise on failure."""
    check(fn(addr(g, mstro_group, what), *args), what)


def mstro_group_add(g, cdo):
    """Add a declared CDO to a group that is not sealed. Raises MaestroError."""
    _g(C.mstro_group_add, "mstro_group_add", g, addr(cdo, mstro_cdo, "mstro_group_add"))


def mstro_group_add_by_name(g, cdo_name):
    """Add a member by name (no local declaration needed). Raises MaestroError."""
    _g(C.mstro_group_add_by_name, "mstro_group_add_by_name", g, _bytes(cdo_name, "cdo_name"))


def _group_op(name, doc):
    """A wrapper of a C group call that takes the group only."""
    cfn = getattr(C, name)

    def op(g):
        _g(cfn, name, g)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc + " Raises MaestroError."
    return op


mstro_group_seal = _group_op("mstro_group_seal", "Seal the group's membership.")
mstro_group_offer = _group_op("mstro_group_offer", "Offer every member (sealing the group first).")
mstro_group_require = _group_op("mstro_group_require", "Require the group.")
mstro_group_demand = _group_op(
    "mstro_group_demand",
    "Demand the group: blocks (GIL released) until it is offered, then fills the member list "
    "(metadata only).",
)
mstro_group_withdraw = _group_op("mstro_group_withdraw", "Withdraw every member.")
mstro_group_retract = _group_op("mstro_group_retract", "Retract a require of the group.")


def mstro_group_size_get(g):
    """Number of members (int). Raises MaestroError."""
    n = ctypes.c_size_t(0)
    _g(C.mstro_group_size_get, "mstro_group_size_get", g, ctypes.byref(n))
    return n.value


def mstro_group_next(g):
    """Next member as a CDO handle, None after the last (the iteration then
    starts again). Handles the group created (consumer side) are disposed
    with the group. Raises MaestroError."""
    out = ctypes.c_void_p()
    _g(C.mstro_group_next, "mstro_group_next", g, ctypes.byref(out))
    if out.value is None:
        return None
    h = lookup("cdo", out.value)
    if h is None:
        h = mstro_cdo(out.value, C.mstro_cdo_name(out.value).decode())
        g._members.append(h)
    return h


def mstro_group_dispose(g):
    """Dispose the group handle and the member handles it created. Raises
    MaestroError (MSTRO_INVSTATE while offered or required)."""
    _g(C.mstro_group_dispose, "mstro_group_dispose", g)
    g._retire()
