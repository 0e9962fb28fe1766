"""Reading FITS data units: the bytes of an image HDU decoded into native arrays.

:func:`decode_range` is the one loop every whole-extension read goes through
(``Product.read``, lazy planes, the ERR fallback): blocks of the memory map are
decoded by the C kernels into the caller's buffer and their pages released once
consumed (see :mod:`ramps._workplan`).
"""

from __future__ import annotations

import numpy as np

from .. import _workplan, kernels
from ..sources import ByteSource
from .index import HDUInfo

__all__ = ["decode_range", "CHUNK_BYTES", "SMALL_BYTES"]

#: Input bytes per block of a whole-array read: each thread maps, decodes and
#: releases whole blocks; small enough that consumed input pages are released
#: promptly and the last blocks share out evenly.
CHUNK_BYTES = 16 << 20

#: Reads of fewer input bytes decode on one thread unless ``threads`` says
#: otherwise: waking OpenMP's other threads costs more than the work.
SMALL_BYTES = 4 << 20

#: Pages of blocks smaller than this are not released (the call costs more).
_RELEASE_BYTES = 1 << 20


def decode_range(source: ByteSource, info: HDUInfo, first: int, count: int,
                 dtype: np.dtype, out: np.ndarray, threads: int | None) -> None:
    """Decode elements ``[first, first + count)`` of image HDU ``info`` into ``out``
    (C-contiguous, ``count`` elements of ``dtype``), releasing input pages once
    consumed.  Kernel errors are re-raised naming the file and the extension."""
    item = info.dtype.itemsize
    if not out.flags.c_contiguous:
        raise ValueError(f"{source.name}[{info.label}]: out must be C-contiguous")
    flat = out.reshape(-1)
    if not source.zero_copy:  # a remote source fetches the whole range in few requests
        source.prefetch([(info.data_offset + first * item, count * item)])
    step, nt, inner = _workplan.plan(count, CHUNK_BYTES // item, _workplan.CALL_BYTES // item,
                                     threads, small=count * item < SMALL_BYTES)

    def block(i0: int, i1: int) -> None:
        m = (i1 - i0) * item
        offset = info.data_offset + (first + i0) * item
        try:
            kernels.decode(source.view(offset, m), info.bitpix, bscale=info.bscale,
                           bzero=info.bzero, dtype=dtype, out=flat[i0:i1], threads=inner)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{source.name}[{info.label}]: {e}") from None
        if m >= _RELEASE_BYTES:
            source.release(offset, m)

    _workplan.run_blocks(count, step, block, nt)
