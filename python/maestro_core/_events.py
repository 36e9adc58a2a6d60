# SPDX-License-Identifier: BSD-3-Clause
"""Pool events and subscriptions (maestro/pool_events.h).

Events come back as Python lists of PoolEvent objects mirroring
``struct mstro_pool_event_``: ``.kind``, ``.serial``, ``.ctime`` and
``.payload.<member>.<field>`` (also ``.<member>``, like C's anonymous
union), strings as ``str``. The C list stays allocated until the Python
objects are gone (or mstro_pool_event_dispose), since acks need it.
"""

import ctypes
import numbers
import threading
import time

from . import _constants as K
from ._attrs import _bytes
from ._errors import MaestroError, check
from ._handles import addr, mstro_cdo_selector, mstro_subscription
from ._lib import C, timespec

_u64 = ctypes.c_uint64
_s = ctypes.c_char_p


class _cdo_info(ctypes.Structure):
    _fields_ = [("appid", _u64), ("cdo_name", _s)]


class _transfer_info(ctypes.Structure):
    _fields_ = [("appid", _u64), ("src_appid", _u64), ("cdo_name", _s), ("size", _u64), ("transport", _s)]


class _join_info(ctypes.Structure):
    _fields_ = [("appid", _u64), ("component_name", _s), ("component_index", ctypes.c_int64)]


class _leave_info(ctypes.Structure):
    _fields_ = [("appid", _u64), ("component_name", _s), ("crashed", ctypes.c_int)]


class _group_info(ctypes.Structure):
    _fields_ = [("appid", _u64), ("group_name", _s)]


_CDO_MEMBERS = ("declare", "seal", "offer", "require", "retract", "demand", "withdraw", "dispose")
_TRANSFER_MEMBERS = ("transfer_started", "transfer_completed")
MEMBERS = _CDO_MEMBERS + _TRANSFER_MEMBERS + ("join", "leave", "group")


class _payload(ctypes.Union):
    _fields_ = (
        [(m, _cdo_info) for m in _CDO_MEMBERS]
        + [(m, _transfer_info) for m in _TRANSFER_MEMBERS]
        + [("join", _join_info), ("leave", _leave_info), ("group", _group_info)]
    )


class _event(ctypes.Structure):
    _fields_ = [
        ("kind", ctypes.c_int),
        ("serial", _u64),
        ("ctime", _u64),
        ("next", ctypes.c_void_p),
        ("payload", _payload),
    ]


def _kind_members():
    """Map each event kind to the payload members it defines."""
    k = K.CONSTANTS
    m = {k["MSTRO_POOL_EVENT_" + n.upper()]: _CDO_MEMBERS for n in _CDO_MEMBERS}
    m[k["MSTRO_POOL_EVENT_TRANSFER_STARTED"]] = _TRANSFER_MEMBERS
    m[k["MSTRO_POOL_EVENT_TRANSFER_COMPLETED"]] = _TRANSFER_MEMBERS
    m[k["MSTRO_POOL_EVENT_APP_JOIN"]] = ("join",)
    m[k["MSTRO_POOL_EVENT_APP_LEAVE"]] = ("leave",)
    for g in ("SEAL", "OFFER", "DEMAND", "WITHDRAW"):
        m[k["MSTRO_POOL_EVENT_GROUP_" + g]] = ("group",)
    return m


# the members valid for each kind (C's CDO payloads share one layout, so a
# CDO event fills all eight, as reading any of them in C would give)
_MEMBERS_OF_KIND = _kind_members()


class EventInfo:
    """One payload member: the fields of its C struct as attributes."""

    def __init__(self, cstruct):
        for name, _ in cstruct._fields_:
            v = getattr(cstruct, name)
            setattr(self, name, v.decode("utf-8", "replace") if isinstance(v, bytes) else v)

    def __repr__(self):
        return "EventInfo(%s)" % ", ".join("%s=%r" % kv for kv in vars(self).items())


class EventPayload:
    """``union mstro_pool_event_payload``: the members that the event's kind
    defines are EventInfo objects, the others None."""

    def __init__(self, kind, cpayload):
        valid = _MEMBERS_OF_KIND.get(kind, ())
        for m in MEMBERS:
            setattr(self, m, EventInfo(getattr(cpayload, m)) if m in valid else None)


class _Batch:
    """One C event list as poll/wait returned it; freed once unused."""

    def __init__(self, head):
        self.head = head
        self.lock = threading.Lock()

    def dispose(self):
        """Free the C list (once)."""
        with self.lock:
            head, self.head = self.head, None
        if head is not None:
            C.mstro_pool_event_dispose(head)

    def __del__(self):
        try:
            self.dispose()
        except Exception:  # noqa: BLE001  (interpreter shutdown: the module may be gone)
            pass


class PoolEvent:
    """An event (``struct mstro_pool_event_``): ``kind`` (one
    ``M.MSTRO_POOL_EVENT_*``), ``serial``, ``ctime`` (ns since the epoch),
    ``payload`` (EventPayload); ``e.offer`` is ``e.payload.offer``."""

    def __init__(self, cev, batch):
        self.kind = cev.kind
        self.serial = cev.serial
        self.ctime = cev.ctime
        self.payload = EventPayload(cev.kind, cev.payload)
        self._batch = batch

    def __getattr__(self, name):
        if name in MEMBERS:
            return getattr(self.payload, name)
        raise AttributeError(name)

    def __repr__(self):
        info = next((getattr(self.payload, m) for m in MEMBERS if getattr(self.payload, m) is not None), None)
        return "<PoolEvent %s serial=%d %r>" % (mstro_pool_event_description(self.kind), self.serial, info)


class EventList(list):
    """The events one poll or wait returned (a list of PoolEvent)."""


def _convert(head):
    """A C event list as an EventList of PoolEvent (the C list is kept for acks)."""
    batch = _Batch(head)
    out = EventList()
    p = head
    while p:
        cev = _event.from_address(p)
        out.append(PoolEvent(cev, batch))
        p = cev.next
    return out


def _flag(value, what):
    """An int of OR-ed flags that fits a C enum, else MSTRO_INVARG."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= int(value) < (1 << 31):
        raise MaestroError(K.MSTRO_INVARG, "mstro_subscribe: %s must be an int of OR-ed flags, got %r" % (what, value))
    return int(value)


def mstro_cdo_selector_create(schema, nspace, query):
    """Compile a selector (an s-expression; None matches every CDO).
    ``schema`` must be None (all loaded schemas; the C API has no public
    schema lookup), ``nspace`` None means ".maestro.core.cdo.". Raises
    MaestroError (MSTRO_INVARG for a syntax error)."""
    if schema is not None:
        raise MaestroError(K.MSTRO_INVARG, "mstro_cdo_selector_create: schema must be None")
    out = ctypes.c_void_p()
    check(
        C.mstro_cdo_selector_create(None, _bytes(nspace, "nspace"), _bytes(query, "query"), ctypes.byref(out)),
        "mstro_cdo_selector_create of %r" % query,
    )
    return mstro_cdo_selector(out.value)


def mstro_cdo_selector_dispose(sel):
    """Free a selector. Raises MaestroError."""
    check(C.mstro_cdo_selector_dispose(addr(sel, mstro_cdo_selector, "mstro_cdo_selector_dispose")), "mstro_cdo_selector_dispose")
    sel._retire()


def mstro_subscribe(sel, kinds, opts):
    """Subscribe to events of ``kinds`` (OR of ``M.MSTRO_POOL_EVENT_*``)
    whose CDO matches ``sel`` (None: every CDO), with ``opts`` (OR of
    ``M.MSTRO_SUBSCRIPTION_OPTS_*``); returns the subscription. The
    selector is copied: it may be disposed at once. Raises MaestroError."""
    kinds = _flag(kinds, "kinds")
    opts = _flag(opts, "opts")
    own = None
    if sel is None:
        own = mstro_cdo_selector_create(None, None, None)
        sel = own
    try:
        out = ctypes.c_void_p()
        check(
            C.mstro_subscribe(addr(sel, mstro_cdo_selector, "mstro_subscribe"), kinds, opts, ctypes.byref(out)),
            "mstro_subscribe",
        )
    finally:
        if own is not None:
            mstro_cdo_selector_dispose(own)
    return mstro_subscription(out.value, bool(opts & K.MSTRO_SUBSCRIPTION_OPTS_REQUIRE_ACK))


def _take(fn, sub, what, *extra):
    """Call poll/wait/timedwait; None for no event or a timeout."""
    p = addr(sub, mstro_subscription, what)
    ev = ctypes.c_void_p()
    st = fn(p, *extra, ctypes.byref(ev))
    if st == K.MSTRO_TIMEOUT:
        return None
    check(st, what)
    return None if ev.value is None else _convert(ev.value)


def mstro_subscription_poll(sub):
    """Every pending event as a list of PoolEvent, without waiting; None
    when there is none. Raises MaestroError."""
    return _take(C.mstro_subscription_poll, sub, "mstro_subscription_poll")


def mstro_subscription_wait(sub):
    """Wait (GIL released) until an event is pending, then return every
    pending one (a list of PoolEvent). Raises MaestroError (MSTRO_INVARG
    when another thread disposes the subscription meanwhile, MSTRO_NO_PM)."""
    return _take(C.mstro_subscription_wait, sub, "mstro_subscription_wait")


def mstro_subscription_timedwait(sub, seconds):
    """As mstro_subscription_wait, for at most ``seconds`` (a number; 0 or
    less: do not wait); None when none came in time."""
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real) or seconds != seconds:
        raise MaestroError(K.MSTRO_INVARG, "mstro_subscription_timedwait: seconds must be a number, got %r" % (seconds,))
    deadline = time.time_ns() + int(max(float(seconds), 0.0) * 1e9)
    ts = timespec(deadline // 1000000000, deadline % 1000000000)
    return _take(C.mstro_subscription_timedwait, sub, "mstro_subscription_timedwait", ctypes.byref(ts))


def _batches(events, what):
    """The distinct C event lists behind a list of PoolEvent (or one event)."""
    if isinstance(events, PoolEvent):
        events = [events]
    if events is None or isinstance(events, (str, bytes)) or not hasattr(events, "__iter__"):
        raise MaestroError(K.MSTRO_INVARG, "%s: expected a list of events, got %r" % (what, events))
    seen = []
    for e in events:
        if not isinstance(e, PoolEvent):
            raise MaestroError(K.MSTRO_INVARG, "%s: %r is not a PoolEvent" % (what, e))
        if all(e._batch is not b for b in seen):
            seen.append(e._batch)
    if not seen:
        raise MaestroError(K.MSTRO_INVARG, "%s: no events" % what)
    return seen


def mstro_subscription_ack(sub, events):
    """Acknowledge the events of a list that poll or wait returned (or one
    event) on a REQUIRE_ACK subscription; the operations waiting on them
    resume. Acking any event of a list acks the whole C list it came in.
    Raises MaestroError (MSTRO_INVARG: nothing to ack, no REQUIRE_ACK, or
    the events were disposed)."""
    p = addr(sub, mstro_subscription, "mstro_subscription_ack")
    for b in _batches(events, "mstro_subscription_ack"):
        with b.lock:
            if b.head is None:
                raise MaestroError(K.MSTRO_INVARG, "mstro_subscription_ack: the events were disposed")
            check(C.mstro_subscription_ack(p, b.head), "mstro_subscription_ack")


def mstro_subscription_dispose(sub):
    """End a subscription; threads blocked in its waits raise MSTRO_INVARG.
    Raises MaestroError."""
    p = addr(sub, mstro_subscription, "mstro_subscription_dispose")
    sub._retire()
    check(C.mstro_subscription_dispose(p), "mstro_subscription_dispose")


def mstro_pool_event_dispose(events):
    """Free the C events behind a list of PoolEvent now (otherwise freed
    when the Python objects go); the Python objects stay readable, but can
    no longer be acked."""
    for b in _batches(events, "mstro_pool_event_dispose"):
        b.dispose()


def mstro_pool_event_description(kind):
    """Name of an event kind ("OFFER", ...; "unknown" for anything else)."""
    if isinstance(kind, bool) or not isinstance(kind, numbers.Integral):
        raise MaestroError(K.MSTRO_INVARG, "mstro_pool_event_description: kind must be an int")
    k = int(kind)
    if not -(1 << 31) <= k < (1 << 31):
        return "unknown"
    return C.mstro_pool_event_description(k).decode()
