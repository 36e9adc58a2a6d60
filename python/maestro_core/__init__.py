# SPDX-License-Identifier: BSD-3-Clause
"""maestro_core: Python bindings of libmaestro (ctypes, no compiled code).

The functions carry their C names; results are returned instead of
out-parameters, and every failing status raises MaestroError (``.status``
is the mstro_status). See docs/python.md.

    import maestro_core as M
    M.mstro_init("wf", "producer", 0)
    cdo = M.mstro_cdo_declare("data", None)
    M.mstro_cdo_attribute_set(cdo, M.MSTRO_ATTR_CORE_CDO_RAW_PTR, bytearray(1024))
    M.mstro_cdo_offer(cdo)
"""

from ._constants import CONSTANTS as _CONSTANTS
from ._errors import MaestroError
from ._lib import mstro_timestamp
from ._handles import mstro_cdo, mstro_cdo_selector, mstro_subscription, mstro_group
from ._core import (
    mstro_init,
    mstro_finalize,
    mstro_version,
    mstro_clock,
    mstro_status_description,
    mstro_pm_start,
    mstro_pm_getinfo,
    mstro_pm_terminate,
)
from ._attrs import (
    mstro_cdo_attribute_set,
    mstro_cdo_attribute_get,
    mstro_cdo_attribute_type,
    mstro_cdo_attribute_set_yaml,
    mstro_cdo_attributes_print,
)
from ._cdo import (
    mmbArray,
    mstro_cdo_declare,
    mstro_cdo_seal,
    mstro_cdo_offer,
    mstro_cdo_withdraw,
    mstro_cdo_require,
    mstro_cdo_retract,
    mstro_cdo_demand,
    mstro_cdo_dispose,
    mstro_cdo_access_ptr,
    mstro_cdo_access_mamba_array,
    mstro_cdo_name,
)
from ._events import (
    PoolEvent,
    EventList,
    EventPayload,
    EventInfo,
    mstro_cdo_selector_create,
    mstro_cdo_selector_dispose,
    mstro_subscribe,
    mstro_subscription_poll,
    mstro_subscription_wait,
    mstro_subscription_timedwait,
    mstro_subscription_ack,
    mstro_subscription_dispose,
    mstro_pool_event_dispose,
    mstro_pool_event_description,
)
from ._groups import (
    mstro_group_declare,
    mstro_group_add,
    mstro_group_add_by_name,
    mstro_group_seal,
    mstro_group_offer,
    mstro_group_require,
    mstro_group_demand,
    mstro_group_withdraw,
    mstro_group_retract,
    mstro_group_size_get,
    mstro_group_next,
    mstro_group_dispose,
)

globals().update(_CONSTANTS)

__all__ = sorted(
    [n for n in globals() if n.startswith("mstro_")]
    + list(_CONSTANTS)
    + ["MaestroError", "PoolEvent", "EventList", "EventPayload", "EventInfo", "mmbArray"]
)
