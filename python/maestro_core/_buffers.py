# SPDX-License-Identifier: BSD-3-Clause
"""Buffer-protocol access without copies: the address of any contiguous
buffer (bytearray, memoryview, bytes, numpy arrays, ...) and zero-copy views
of C memory."""

import ctypes

from ._constants import MSTRO_INVARG
from ._errors import MaestroError


class _Py_buffer(ctypes.Structure):
    _fields_ = [
        ("buf", ctypes.c_void_p),
        ("obj", ctypes.c_void_p),
        ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t),
        ("readonly", ctypes.c_int),
        ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p),
        ("shape", ctypes.c_void_p),
        ("strides", ctypes.c_void_p),
        ("suboffsets", ctypes.c_void_p),
        ("internal", ctypes.c_void_p),
    ]


_PyBUF_WRITABLE = 0x0001
_PyBUF_ANY_CONTIGUOUS = 0x0080 | 0x0010 | 0x0008
# Py_buffer calls take no time and must hold the GIL: pythonapi (a PyDLL)
_get = ctypes.pythonapi.PyObject_GetBuffer
_get.restype = ctypes.c_int
_get.argtypes = [ctypes.py_object, ctypes.POINTER(_Py_buffer), ctypes.c_int]
_rel = ctypes.pythonapi.PyBuffer_Release
_rel.restype = None
_rel.argtypes = [ctypes.POINTER(_Py_buffer)]


class Pinned:
    """A buffer export held open: the exporter keeps its memory where it is
    (a bytearray cannot be resized meanwhile) until ``release``."""

    def __init__(self, obj, what):
        self._held = False
        self._view = _Py_buffer()
        self.obj = obj
        self.readonly = False
        # exporters refuse with BufferError or ValueError (numpy)
        try:
            _get(obj, ctypes.byref(self._view), _PyBUF_ANY_CONTIGUOUS | _PyBUF_WRITABLE)
        except TypeError:
            raise MaestroError(
                MSTRO_INVARG, "%s: %s does not support the buffer protocol" % (what, type(obj).__name__)
            ) from None
        except (BufferError, ValueError):
            try:
                _get(obj, ctypes.byref(self._view), _PyBUF_ANY_CONTIGUOUS)
                self.readonly = True
            except (BufferError, ValueError, TypeError) as e:
                raise MaestroError(MSTRO_INVARG, "%s: not a contiguous buffer (%s)" % (what, e)) from None
        self.address = self._view.buf
        self.nbytes = self._view.len
        self._held = True

    def release(self):
        """End the export (idempotent)."""
        if self._held:
            self._held = False
            _rel(ctypes.byref(self._view))

    def __del__(self):
        try:
            self.release()
        except Exception:  # noqa: BLE001  (interpreter shutdown: ctypes may be gone)
            pass


def view_of(address, nbytes, readonly):
    """A memoryview of ``nbytes`` bytes of C memory at ``address`` (no copy)."""
    arr = (ctypes.c_ubyte * nbytes).from_address(address)
    mv = memoryview(arr).cast("B")
    return mv.toreadonly() if readonly else mv
