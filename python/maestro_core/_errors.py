# SPDX-License-Identifier: BSD-3-Clause
"""MaestroError and the status check every wrapper goes through."""

from ._constants import STATUS_NAMES
from ._lib import C


class MaestroError(Exception):
    """A failing ``mstro_status``: ``.status`` is the value (compare with
    ``M.MSTRO_INVARG`` ...), the message holds the status name, its
    description (``mstro_status_description``) and what failed."""

    def __init__(self, status, what=None):
        self.status = int(status)
        name = STATUS_NAMES[self.status] if 0 <= self.status < len(STATUS_NAMES) else str(status)
        text = "%s: %s" % (name, description(self.status))
        if what:
            text = "%s: %s" % (what, text)
        super().__init__(text)


def description(status):
    """Text of a status (``mstro_status_description``)."""
    return C.mstro_status_description(int(status)).decode()


def check(status, what):
    """Raise MaestroError unless ``status`` is MSTRO_OK."""
    if status != 0:
        raise MaestroError(status, what)
