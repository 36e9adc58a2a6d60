# SPDX-License-Identifier: BSD-3-Clause
"""Constants of maestro.h with their C names and values."""

# maestro/status.h, in the order of MSTRO_STATUS_LIST (the value is the index)
STATUS_NAMES = (
    "MSTRO_OK",
    "MSTRO_FAIL",
    "MSTRO_UNIMPL",
    "MSTRO_INVARG",
    "MSTRO_INVOUT",
    "MSTRO_UNINIT",
    "MSTRO_NOT_TWICE",
    "MSTRO_NOMEM",
    "MSTRO_NOENT",
    "MSTRO_NOMATCH",
    "MSTRO_TIMEOUT",
    "MSTRO_WOULDBLOCK",
    "MSTRO_NO_PM",
    "MSTRO_INVMSG",
    "MSTRO_AUTH",
    "MSTRO_INVSTATE",
    "MSTRO_TRANSPORT",
)
CONSTANTS = {name: value for value, name in enumerate(STATUS_NAMES)}
CONSTANTS["MSTRO_STATUS_MAX"] = len(STATUS_NAMES)

# maestro/pool_events.h: mstro_pool_event_kind, bit flags
EVENT_KINDS = (
    "DECLARE",
    "SEAL",
    "OFFER",
    "REQUIRE",
    "RETRACT",
    "DEMAND",
    "WITHDRAW",
    "DISPOSE",
    "TRANSFER_STARTED",
    "TRANSFER_COMPLETED",
    "APP_JOIN",
    "APP_LEAVE",
    "GROUP_SEAL",
    "GROUP_OFFER",
    "GROUP_DEMAND",
    "GROUP_WITHDRAW",
    "POOL_MANAGER_LEAVE",
)
for _bit, _kind in enumerate(EVENT_KINDS):
    CONSTANTS["MSTRO_POOL_EVENT_" + _kind] = 1 << _bit
CONSTANTS["MSTRO_POOL_EVENT__ALL"] = (1 << len(EVENT_KINDS)) - 1

# maestro/pool_events.h: mstro_subscription_opts
CONSTANTS.update(
    MSTRO_SUBSCRIPTION_OPTS_DEFAULT=0,
    MSTRO_SUBSCRIPTION_OPTS_SIGNAL_BEFORE=1 << 0,
    MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK=1 << 1,
    MSTRO_SUBSCRIPTION_OPTS_NO_LOCAL_EVENTS=1 << 2,
    MSTRO_SUBSCRIPTION_OPTS_NO_REMOTE_EVENTS=1 << 3,
)

# maestro/attributes.h: enum mstro_cdo_attr_value_type
VALUE_TYPES = (
    "INVALID",
    "bool",
    "int32",
    "int64",
    "uint32",
    "uint64",
    "float",
    "double",
    "cstring",
    "timestamp",
    "pointer",
    "blob",
    "int64_array",
    "NA",
    "_MAX",
)
for _v, _t in enumerate(VALUE_TYPES):
    CONSTANTS["MSTRO_CDO_ATTR_VALUE_" + _t] = _v

# maestro/attributes.h: layout orders and the built-in keys
CONSTANTS.update(
    MSTRO_CDO_LAYOUT_ORDER_ROWMAJOR=1,
    MSTRO_CDO_LAYOUT_ORDER_COLMAJOR=2,
    MSTRO_ATTR_DEFAULT=None,
    MSTRO_ATTR_CORE_CDO_NAMESPACE=".maestro.core.cdo.",
    MSTRO_ATTR_CORE_CDO_NAME=".maestro.core.cdo.name",
    MSTRO_ATTR_CORE_CDO_RAW_PTR=".maestro.core.cdo.raw-ptr",
    MSTRO_ATTR_CORE_CDO_SCOPE_LOCAL_SIZE=".maestro.core.cdo.scope.local-size",
    MSTRO_ATTR_CORE_CDO_ALLOCATE_NOW=".maestro.core.cdo.allocate-now",
    MSTRO_ATTR_CORE_CDO_MAESTRO_PROVIDED_STORAGE=".maestro.core.cdo.maestro-provided-storage",
    MSTRO_ATTR_CORE_CDO_LAYOUT_ELEMENT_SIZE=".maestro.core.cdo.layout.element-size",
    MSTRO_ATTR_CORE_CDO_LAYOUT_NDIMS=".maestro.core.cdo.layout.ndims",
    MSTRO_ATTR_CORE_CDO_LAYOUT_DIMS_SIZE=".maestro.core.cdo.layout.dims-size",
    MSTRO_ATTR_CORE_CDO_LAYOUT_ORDER=".maestro.core.cdo.layout.order",
    MSTRO_ATTR_CORE_CDO_LAYOUT_DISTRIBUTION=".maestro.core.cdo.layout.distribution",
    MSTRO_ATTR_CORE_CDO_MEM_LAYER=".maestro.core.cdo.mem-layer",
    MSTRO_ATTR_CORE_CDO_LIFETIME=".maestro.core.cdo.lifetime",
    MSTRO_ATTR_CORE_CDO_TRANSPORT=".maestro.core.cdo.transport",
)

globals().update(CONSTANTS)
