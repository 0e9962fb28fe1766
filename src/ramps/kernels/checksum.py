"""The FITS DATASUM / CHECKSUM kernels (FITS Standard, Appendix J)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ramps import _core
from ramps.kernels._common import check_threads


def fits_checksum(buf: Any, *, initial: int = 0, threads: int | None = None) -> int:
    """The FITS 32-bit ones'-complement checksum of a buffer (Standard, Appendix J).

    ``buf`` is any C-contiguous bytes-like object or array whose size in bytes is
    a multiple of 4 (FITS blocks are).  ``initial`` continues a running sum, so
    a writer can compute DATASUM chunk by chunk: ``s = fits_checksum(c2,
    initial=fits_checksum(c1))``.  DATASUM is this value as a decimal string.
    """
    if isinstance(buf, np.ndarray):
        if not buf.flags.c_contiguous:
            raise ValueError("checksum buffer must be C-contiguous")
        view = buf.reshape(-1).view(np.uint8)
    else:
        view = np.frombuffer(buf, dtype=np.uint8)
    if view.size % 4:
        raise ValueError(f"checksum buffer must be a multiple of 4 bytes, got {view.size}")
    if not 0 <= int(initial) <= 0xFFFFFFFF:
        raise ValueError(f"initial must be a 32-bit unsigned value, got {initial!r}")
    return _core.fits_checksum(view, int(initial), check_threads(threads))


def checksum_encode(value: int, *, complement: bool = True) -> str:
    """The 16-character ASCII form of a checksum for the CHECKSUM keyword.

    FITS stores the complement of the HDU sum (``complement=True``) so that
    the checksum of the whole HDU, CHECKSUM included, comes to -0.
    """
    if not 0 <= int(value) <= 0xFFFFFFFF:
        raise ValueError(f"checksum value must be a 32-bit unsigned value, got {value!r}")
    return _core.checksum_encode(int(value), bool(complement))
