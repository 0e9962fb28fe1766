"""The C kernels over dask arrays: ``combine_dq`` and ``err_from_variances`` block by block.

:func:`ramps.kernels.combine_dq` and :func:`ramps.kernels.err_from_variances`
hand dask inputs here (dask is imported only then).  Each builds a graph of
``blockwise`` tasks that call the numpy kernel on aligned blocks, so the
result equals the numpy kernel's bit for bit, and checks its arguments the way
the numpy kernel does (by calling it on empty stand-ins of the same dtypes),
so a bad input raises the same error before any block is read.

Chunks: GROUPDQ is rechunked so that the group axis is whole (a DQ plane needs
every group of its integration); integrations and pixels may be chunked
freely, and PIXELDQ is aligned to GROUPDQ's pixel chunks.  Variances are
aligned to one another elementwise.
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import numpy as np

from ramps import kernels

__all__ = ["combine_dq", "err_from_variances"]

_AXES = "abcdefghijklmnopqrstuvwxyz"


def _no_out(out: Any) -> None:
    if out is not None:
        raise TypeError("out= takes a numpy array; with dask inputs the result is a lazy dask "
                        "array (store it with dask.array.store or compute it)")


def _combine_block(groupdq: np.ndarray, pixeldq: np.ndarray, rules: str, mask: int,
                   threads: int | None) -> np.ndarray:
    return kernels.combine_dq(np.ascontiguousarray(pixeldq), np.ascontiguousarray(groupdq),
                              rules=rules, mask=mask, threads=threads)


def combine_dq(pixeldq: Any, groupdq: Any, *, rules: str = "or", mask: int = 0xFF,
               out: Any = None, threads: int | None = None) -> da.Array:
    """:func:`ramps.kernels.combine_dq` over dask (or numpy) arrays, as a dask array.

    ``pixeldq`` (ny, nx) uint32, ``groupdq`` (nints, ngroups, ny, nx) uint8;
    returns the lazy uint32 (nints, ny, nx) DQ, chunked like ``groupdq`` along
    integrations and pixels.  ``threads`` is per block (None: every core)."""
    _no_out(out)
    pixeldq, groupdq = da.asarray(pixeldq), da.asarray(groupdq)
    if groupdq.ndim != 4 or pixeldq.ndim != 2:
        # the numpy kernel's messages (dimension errors need no stand-in data)
        kernels.combine_dq(np.empty((0,) * pixeldq.ndim, pixeldq.dtype),
                           np.empty((0,) * groupdq.ndim, groupdq.dtype), rules=rules, mask=mask)
    # dtypes, the image shape, rules and mask, checked by the kernel on empty stand-ins
    kernels.combine_dq(np.empty(pixeldq.shape, pixeldq.dtype),
                       np.empty((0,) + groupdq.shape[1:], groupdq.dtype), rules=rules, mask=mask)
    groupdq = groupdq.rechunk({1: -1})
    return da.blockwise(_combine_block, "iyx", groupdq, "igyx", pixeldq, "yx",
                        dtype=np.uint32, meta=np.empty((0, 0, 0), np.uint32),
                        concatenate=True, rules=rules, mask=int(mask), threads=threads)


def _err_block(*variances: np.ndarray, err_dtype: Any, threads: int | None) -> np.ndarray:
    return kernels.err_from_variances(*(np.ascontiguousarray(v) for v in variances),
                                      dtype=err_dtype, threads=threads)


def err_from_variances(*variances: Any, out: Any = None, dtype: Any = None,
                       threads: int | None = None) -> da.Array:
    """:func:`ramps.kernels.err_from_variances` over dask (or numpy) arrays, as a dask array.

    The variances are aligned chunk for chunk (rechunked to common chunks when
    they differ); the result has those chunks and the numpy kernel's dtype
    (float32, or float16 with ``dtype=float16`` for float16 variances)."""
    _no_out(out)
    if len(variances) not in (2, 3):
        raise TypeError(f"err_from_variances takes 2 or 3 variance arrays, got {len(variances)}")
    arrs = [da.asarray(v) for v in variances]
    first = arrs[0]
    for i, v in enumerate(arrs[1:], 2):
        if v.shape != first.shape:
            raise ValueError(f"variance {i} has shape {v.shape}, variance 1 has {first.shape}")
    if first.ndim > len(_AXES):
        raise ValueError(f"variances of {first.ndim} dimensions are not supported")
    # dtypes, byte orders and the output dtype, as the numpy kernel decides them
    err_dtype = kernels.err_from_variances(
        *(np.empty((0,) * v.ndim, v.dtype) for v in arrs), dtype=dtype).dtype
    idx = _AXES[:first.ndim]
    pairs = [x for v in arrs for x in (v, idx)]
    return da.blockwise(_err_block, idx, *pairs, dtype=err_dtype,
                        meta=np.empty((0,) * first.ndim, err_dtype),
                        err_dtype=err_dtype, threads=threads)
