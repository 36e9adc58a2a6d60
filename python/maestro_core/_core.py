# SPDX-License-Identifier: BSD-3-Clause
"""Library lifecycle, status texts, version, clock (maestro/core.h,
maestro/status.h) and the Pool Manager calls (maestro/pool_manager.h,
libmaestro-pm)."""

import ctypes
import numbers

from . import _constants as K
from ._attrs import _bytes
from ._errors import MaestroError, check, description
from ._handles import retire_all
from ._lib import C


def mstro_init(workflow_name, component_name, component_index):
    """Initialize Maestro for this process. None for a name reads
    MSTRO_WORKFLOW_NAME / MSTRO_COMPONENT_NAME; with MSTRO_POOL_MANAGER_INFO
    set the component joins that Pool Manager. Raises MaestroError
    (MSTRO_NOT_TWICE, MSTRO_INVARG, MSTRO_NO_PM, MSTRO_AUTH, ...)."""
    if isinstance(component_index, bool) or not isinstance(component_index, numbers.Integral):
        raise MaestroError(K.MSTRO_INVARG, "mstro_init: component_index must be an int")
    idx = int(component_index)
    if not -(1 << 63) <= idx < (1 << 63):
        raise MaestroError(K.MSTRO_INVARG, "mstro_init: component_index out of range")
    check(
        C.mstro_init(_bytes(workflow_name, "workflow_name"), _bytes(component_name, "component_name"), idx),
        "mstro_init",
    )


def mstro_finalize():
    """Finalize: leave the pool, free everything; every CDO, group and
    subscription handle is invalid afterwards (selectors stay). Raises
    MaestroError (MSTRO_UNINIT; MSTRO_FAIL when CDOs were still offered:
    finalized all the same)."""
    st = C.mstro_finalize()
    if st != K.MSTRO_UNINIT:
        retire_all(("cdo", "group", "subscription"))
    check(st, "mstro_finalize")


def mstro_version():
    """Library version "MAJOR.MINOR.PATCH"."""
    return C.mstro_version().decode()


def mstro_clock():
    """Monotonic clock (CLOCK_MONOTONIC) in nanoseconds (int)."""
    return C.mstro_clock()


def mstro_status_description(status):
    """Human-readable text of a status ("unknown status" out of range)."""
    if isinstance(status, bool) or not isinstance(status, numbers.Integral):
        raise MaestroError(K.MSTRO_INVARG, "mstro_status_description: status must be an int")
    s = int(status)
    if not 0 <= s < K.MSTRO_STATUS_MAX:
        return "unknown status"
    return description(s)


def mstro_pm_start():
    """This process becomes the Pool Manager of its workflow (after
    mstro_init). Raises MaestroError (MSTRO_NOT_TWICE, MSTRO_TRANSPORT)."""
    check(C.mstro_pm_start(), "mstro_pm_start")


def mstro_pm_getinfo():
    """Contact string of the Pool Manager running here (str), for
    MSTRO_POOL_MANAGER_INFO of other components. Raises MaestroError
    (MSTRO_NOENT when no PM runs here)."""
    out = ctypes.c_void_p()
    check(C.mstro_pm_getinfo(ctypes.byref(out)), "mstro_pm_getinfo")
    try:
        return ctypes.string_at(out.value).decode()
    finally:
        C.free(out.value)


def mstro_pm_terminate():
    """Tell every component, then stop serving. Raises MaestroError
    (MSTRO_NOENT when no PM runs here)."""
    check(C.mstro_pm_terminate(), "mstro_pm_terminate")
