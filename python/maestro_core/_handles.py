# SPDX-License-Identifier: BSD-3-Clause
"""Python handles for the C handles (CDO, selector, subscription, group).

A handle holds the C pointer until the C object is gone (disposed, or freed
by mstro_finalize); after that every call with it raises MaestroError
instead of passing a dangling pointer to C. Live handles are registered
here, so that the objects a CDO keeps alive (its buffers) stay alive until
dispose even when the caller drops its handle, and so that mstro_finalize
can retire every handle the C library frees.
"""

import threading

from ._constants import MSTRO_INVARG, MSTRO_INVSTATE
from ._errors import MaestroError

_lock = threading.Lock()
_live = {}  # (kind, address) -> handle


class _Handle:
    """Base of the handle classes: ``_ptr`` is the C pointer or None."""

    _kind = "handle"
    _gone_status = MSTRO_INVARG

    def __init__(self, ptr):
        self._ptr = ptr
        with _lock:
            _live[(self._kind, ptr)] = self

    def _addr(self, what):
        """The C pointer; raise when the C object is gone."""
        p = self._ptr
        if p is None:
            raise MaestroError(self._gone_status, "%s: the %s was disposed" % (what, self._kind))
        return p

    def _retire(self):
        """The C object is gone: forget the pointer, release what was kept for it."""
        with _lock:
            if self._ptr is not None and _live.get((self._kind, self._ptr)) is self:
                del _live[(self._kind, self._ptr)]
            self._ptr = None
        self._on_retire()

    def _on_retire(self):
        """What a handle kind releases when retired."""
        pass

    def __bool__(self):
        return self._ptr is not None

    def __repr__(self):
        state = "disposed" if self._ptr is None else "0x%x" % self._ptr
        return "<maestro_core %s %s>" % (self._kind, state)


def lookup(kind, ptr):
    """The live handle of ``kind`` for a C pointer, or None."""
    with _lock:
        return _live.get((kind, ptr))


def retire_all(kinds):
    """Retire every live handle of the given kinds (after mstro_finalize)."""
    with _lock:
        victims = [h for (k, _), h in _live.items() if k in kinds]
    for h in victims:
        h._retire()


def addr(obj, cls, what, allow_none=False):
    """The C pointer of a handle argument; MaestroError (MSTRO_INVARG) for
    anything that is not a handle of ``cls``."""
    if obj is None and allow_none:
        return None
    if not isinstance(obj, cls):
        raise MaestroError(MSTRO_INVARG, "%s: expected a %s, got %s" % (what, cls._kind, type(obj).__name__))
    return obj._addr(what)


class mstro_cdo(_Handle):
    """Handle of a CDO (``mstro_cdo``); valid until mstro_cdo_dispose."""

    _kind = "cdo"
    _gone_status = MSTRO_INVSTATE

    def __init__(self, ptr, name):
        super().__init__(ptr)
        self._name = name
        self._keep = {}  # key -> objects the C side points into
        self._readonly_data = False  # raw-ptr is a read-only buffer
        self._views = []  # memoryviews handed out by access_ptr
        self._group = None  # the group whose handle this is (group demand)

    def _on_retire(self):
        """What a handle kind releases when retired."""
        # views of freed memory must not stay usable
        for v in self._views:
            try:
                v.release()
            except (BufferError, ValueError):
                pass  # exported further (numpy): valid only until dispose
        self._views = []
        for held in self._keep.values():
            for h in held:
                release = getattr(h, "release", None)
                if release is not None:
                    release()
        self._keep = {}


class mstro_cdo_selector(_Handle):
    """Handle of a compiled selector (``mstro_cdo_selector``)."""

    _kind = "selector"


class mstro_subscription(_Handle):
    """Handle of a subscription (``mstro_subscription``)."""

    _kind = "subscription"

    def __init__(self, ptr, acks):
        super().__init__(ptr)
        self.requires_ack = acks


class mstro_group(_Handle):
    """Handle of a group (``mstro_group``); valid until mstro_group_dispose."""

    _kind = "group"
    _gone_status = MSTRO_INVSTATE

    def __init__(self, ptr):
        super().__init__(ptr)
        self._members = []  # handles the group created (disposed with it)

    def _on_retire(self):
        """What a handle kind releases when retired."""
        for m in self._members:
            m._retire()
        self._members = []
