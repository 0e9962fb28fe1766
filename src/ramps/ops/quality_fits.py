"""The FITS route of :func:`ramps.combine_dq` and :func:`ramps.recompute_err`: the kernels
run straight over a FITS file's memory map, in blocks, each thread taking whole blocks.

A FITS product's extensions lie in one file, big-endian, usually unscaled: the kernels
read them where they are (no decoded copy of the input), and the pages of each block
are released once consumed -- only for a file the call opened itself (a caller keeping
the product open would pay to map them again on its next call).  What the map cannot
give (scaled or float64 variances, a file object) is decoded block by block into small
reused buffers.  Each function fills ``out`` (the caller's slice of the result: an
exposure's segments fill theirs in turn).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ramps import kernels
from ramps.fits.read import decode_range
from ramps.kernels import blocks as _workplan
from ramps.products.fits import Product

__all__ = ["BLOCK_ELEMENTS", "DQ_BLOCK_BYTES", "ERR_THREAD_BLOCK_ELEMENTS",
           "MAPPED_BLOCK_ELEMENTS", "combine_dq_into", "err_into"]

#: Elements per block when a kernel runs over extensions that need decoding.
BLOCK_ELEMENTS = 1 << 20

#: Elements per kernel call when ERR is computed straight from the memory map
#: (64 MB of float32 output): one pass, no buffers, and few threaded calls, each
#: of which can wait a scheduler tick on a busy machine.
MAPPED_BLOCK_ELEMENTS = 16 << 20

_BE_F32 = np.dtype(">f4")

#: Elements per block when each thread takes whole blocks of ERR (16 MB of
#: output, with one-thread kernels; see ramps.kernels.blocks).
ERR_THREAD_BLOCK_ELEMENTS = 4 << 20

#: GROUPDQ bytes per block of combine_dq (whole integrations; at least one).
DQ_BLOCK_BYTES = 16 << 20


def _native(p: Product, name: str, ver: int = 1) -> np.ndarray:
    """An extension as a native-order, C-contiguous array (a view when possible)."""
    info = p.hdu(name, ver)
    arr = p[name, ver]
    if arr.dtype.isnative and arr.flags.c_contiguous:
        return arr
    return p.read(name, ver, dtype=info.physical_dtype.newbyteorder("="))


def combine_dq_into(p: Product, out: np.ndarray, rules: str, mask: int, threads: int | None,
                    release: bool) -> None:
    """combine_dq of ``p``'s PIXELDQ and 4-D GROUPDQ into ``out`` (nints, ny, nx), over
    blocks of whole integrations (~16 MB of GROUPDQ) straight from the memory map.  Few
    integrations: all-core calls over up to CALL_BYTES each."""
    pixeldq = _native(p, "PIXELDQ")
    info = p.hdu("GROUPDQ")
    nints = info.shape[0]
    groupdq = _native(p, "GROUPDQ")
    per_int = info.data_size // max(nints, 1)
    step, nt, inner = _workplan.plan(nints, DQ_BLOCK_BYTES // max(per_int, 1),
                                     _workplan.CALL_BYTES // max(per_int, 1), threads)

    def block(i: int, j: int) -> None:
        kernels.combine_dq(pixeldq, groupdq[i:j], rules=rules, mask=mask, out=out[i:j],
                           threads=inner)
        if release:
            p.source.release(info.data_offset + i * per_int, (j - i) * per_int)

    _workplan.run_blocks(nints, step, block, nt)


def _mapped_be_f32(p: Product, infos: list) -> list[np.ndarray] | None:
    """Flat zero-copy views of the extensions when every one is unscaled big-endian
    float32 in a memory-mapped file, else None (a file object would read them whole)."""
    if not p.source.zero_copy:
        return None
    if any(i.dtype != _BE_F32 or i.bscale != 1.0 or i.bzero != 0.0 for i in infos):
        return None
    return [p[i.name, i.ver].reshape(-1) for i in infos]


def err_into(p: Product, names: list[str], out: np.ndarray, threads: int | None,
             release: bool) -> None:
    """ERR of ``p``'s variance extensions ``names`` into float32 ``out``.  Unscaled
    big-endian float32 in a memory map (the usual case) goes straight from the map
    through the byte-swapping kernel, one pass; anything else is decoded block by block
    into small reused buffers first."""
    infos = [p.hdu(n) for n in names]
    n = int(np.prod(infos[0].shape, dtype=np.int64))
    flat = out.reshape(-1)
    mapped = _mapped_be_f32(p, infos)
    if mapped is not None:
        step, nt, inner = _workplan.plan(n, ERR_THREAD_BLOCK_ELEMENTS, MAPPED_BLOCK_ELEMENTS,
                                         threads)

        def block(i0: int, i1: int) -> None:
            kernels.err_from_variances(*(v[i0:i1] for v in mapped), out=flat[i0:i1],
                                       threads=inner)
            if release:
                for info in infos:
                    p.source.release(info.data_offset + 4 * i0, 4 * (i1 - i0))

        _workplan.run_blocks(n, step, block, nt)
        return
    step = min(BLOCK_ELEMENTS, max(n, 1))
    bufs = [np.empty(step, np.float32) for _ in infos]
    for i0 in range(0, n, step):
        m = min(step, n - i0)
        for info, buf in zip(infos, bufs):
            decode_range(p.source, info, i0, m, np.dtype(np.float32), buf[:m], threads)
        kernels.err_from_variances(*(b[:m] for b in bufs), out=flat[i0:i0 + m],
                                   threads=threads)


def pieces(p: Any, name: str) -> list[tuple[Product, slice]]:
    """[(FITS product, slice of axis 0 of the result)] that hold extension ``name`` of
    ``p``: a Product whole, an exposure's segments in turn when the extension runs along
    integrations (else its first segment's, whole)."""
    if isinstance(p, Product):
        return [(p, slice(None))]
    if not p.along_nints(name):
        return [(p.products[0], slice(None))]
    return [(seg, slice(start - 1, end)) for seg, (start, end) in zip(p.products, p.ranges)]
