"""The hot operations on whole products: DQ combining and ERR recomputation.

Each finds the right extensions of a product (or a path), runs one C kernel
over them with every core, and returns the array, or writes it into a product
file (atomically) when asked.  Roman (ASDF) products go to
:mod:`ramps.ops.quality_asdf`, which finds the same arrays by role
(:func:`ramps.products.roles.array_name`: ``var_poisson``, ``groupdq`` ...).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ramps import kernels
from ramps.fits.read import decode_range
from ramps.kernels import blocks as _workplan
from ramps.ops.copy import copy_product
from ramps.products.fits import Product
from ramps.products.open import open as open_product
from ramps.products.roles import VARIANCES as VARIANCE_EXTENSIONS
from ramps.products.roles import is_asdf, variance_hdus
from ramps.ops import quality_asdf as ops

__all__ = ["VARIANCE_EXTENSIONS", "combine_dq", "recompute_err"]



def _as_product(product: Product | str | os.PathLike) -> tuple[Product, bool]:
    if not isinstance(product, (str, os.PathLike)):  # an open product (FITS or ASDF)
        return product, False
    return open_product(product), True


def _native(p: Product, name: str, ver: int = 1) -> np.ndarray:
    """An extension as a native-order, C-contiguous array (a view when possible)."""
    info = p.hdu(name, ver)
    arr = p[name, ver]
    if arr.dtype.isnative and arr.flags.c_contiguous:
        return arr
    return p.read(name, ver, dtype=info.physical_dtype.newbyteorder("="))


def combine_dq(
    product: Product | str | os.PathLike,
    *,
    rules: str = "or",
    mask: int = 0xFF,
    out: np.ndarray | None = None,
    into: str | os.PathLike | None = None,
    output: str | os.PathLike | None = None,
    overwrite: bool = False,
    threads: int | None = None,
    dask: bool = False,
) -> np.ndarray | Path:
    """One DQ plane per integration from a ramp's PIXELDQ and GROUPDQ.

    Returns the uint32 (nints, ny, nx) array (in ``out`` when given).  With
    ``output=`` a path, writes a copy of the product ``into`` (same exposure)
    with its DQ replaced, and returns the output path: a rateints-shaped
    product gets the per-integration planes, a rate-shaped one (2-D DQ) their
    :func:`~ramps.kernels.collapse_dq` under the same rules.
    See :func:`ramps.kernels.combine_dq` for ``rules`` and ``mask``.
    A Roman ramp gives its one (ny, nx) plane (:mod:`ramps.ops.quality_asdf`; no ``output``).
    ``dask=True``: a lazy dask array read a chunk of integrations per task
    (:func:`ramps.products.dask.combine_dq`; no ``out``/``output``).
    """
    if dask:
        from ramps.products.dask import combine_dq as dask_combine_dq
        return dask_combine_dq(product, rules=rules, mask=mask, threads=threads, out=out,
                               output=output)
    p, owned = _as_product(product)
    try:
        if is_asdf(p):  # a Roman ramp: one (ny, nx) plane

            if output is not None or into is not None:
                raise ValueError(f"{p.path}: writing a Roman ramp's DQ into a product is not "
                                 "supported; take the returned array")
            return ops.combine_dq(p, rules=rules, mask=mask, out=out, threads=threads)
        dq = _combine_by_integration(p, rules, mask, out, threads, release=owned)
        if output is None:
            return dq
        if into is not None:
            with open_product(into) as target:
                if ("DQ", 1) in target and len(target.hdu("DQ").shape) == 2:
                    # a rate-shaped product: one DQ plane for the exposure
                    dq = kernels.collapse_dq(dq, rules=rules, threads=threads)
        return _write_extension(output, {"DQ": dq}, into, p, overwrite)
    finally:
        if owned:
            p.close()


def recompute_err(
    product: Product | str | os.PathLike,
    *,
    out: np.ndarray | None = None,
    output: str | os.PathLike | None = None,
    overwrite: bool = False,
    threads: int | None = None,
    dask: bool = False,
) -> np.ndarray | Path:
    """ERR = sqrt(VAR_POISSON + VAR_RNOISE [+ VAR_FLAT]) from the variances present.

    Works on rate, rateints, cal, calints (and any product with two or three
    VAR_* extensions of SCI's shape).  Returns the float32 array, or with
    ``output=`` writes a copy of the product with ERR replaced.  A Roman level 2/3
    product gives ``err`` in the dtype it stores it in (float16 for ImageModel,
    through the float16 kernel; :mod:`ramps.ops.quality_asdf`).  ``dask=True``: a
    lazy dask array (:func:`ramps.products.dask.recompute_err`; no ``out``/``output``).
    """
    if dask:
        from ramps.products.dask import recompute_err as dask_recompute_err
        return dask_recompute_err(product, threads=threads, out=out, output=output)
    p, owned = _as_product(product)
    try:
        if is_asdf(p):  # Roman: float16 variances, err in its stored dtype

            return ops.recompute_err(p, out=out, output=output, overwrite=overwrite,
                                     threads=threads)
        _, infos = variance_hdus(p)
        err = _err_in_blocks(p, infos, out, threads, release=owned)
        if output is None:
            return err
        return _write_extension(output, {"ERR": err}, p.path, p, overwrite)
    finally:
        if owned:
            p.close()


#: Elements per block when a kernel runs over extensions that need decoding.
BLOCK_ELEMENTS = 1 << 20

#: Elements per kernel call when ERR is computed straight from the memory map
#: (64 MB of float32 output): one pass, no buffers, and few threaded calls, each
#: of which can wait a scheduler tick on a busy machine.
MAPPED_BLOCK_ELEMENTS = 16 << 20

_BE_F32 = np.dtype(">f4")

#: Elements per block when each thread takes whole blocks of ERR (16 MB of
#: output, with one-thread kernels; see ramps._blocks).
ERR_THREAD_BLOCK_ELEMENTS = 4 << 20

#: GROUPDQ bytes per block of combine_dq (whole integrations; at least one).
DQ_BLOCK_BYTES = 16 << 20


def _combine_by_integration(p: Product, rules: str, mask: int, out: np.ndarray | None,
                            threads: int | None, release: bool = True) -> np.ndarray:
    """combine_dq over blocks of integrations straight from the memory map.

    Each thread takes whole blocks (~16 MB of GROUPDQ), combines each with a
    one-thread kernel and releases its pages (only for a file this call opened: a
    caller keeping the product open would pay to map them again on its next
    call).  Few integrations: all-core calls over up to CALL_BYTES each."""
    pixeldq = _native(p, "PIXELDQ")
    info = p.hdu("GROUPDQ")
    if len(info.shape) != 4:
        raise ValueError(f"{p.path}[GROUPDQ,1]: expected 4-D (nints, ngroups, ny, nx), "
                         f"found shape {info.shape}")
    nints = info.shape[0]
    shape = (nints,) + tuple(pixeldq.shape)
    if out is None:
        out = np.empty(shape, np.uint32)
    elif out.shape != shape or out.dtype != np.uint32 or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous uint32 array of shape {shape}")
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
    return out


def _mapped_be_f32(p: Product, infos: list) -> list[np.ndarray] | None:
    """Flat zero-copy views of the extensions when every one is unscaled big-endian
    float32 in a memory-mapped file, else None (a file object would read them whole)."""
    if not p.source.zero_copy:
        return None
    if any(i.dtype != _BE_F32 or i.bscale != 1.0 or i.bzero != 0.0 for i in infos):
        return None
    return [p[i.name, i.ver].reshape(-1) for i in infos]


def _err_in_blocks(p: Product, infos: list, out: np.ndarray | None,
                   threads: int | None, release: bool = True) -> np.ndarray:
    """ERR over VAR_* extensions in blocks.  Unscaled big-endian float32 in a memory
    map (the usual case) goes straight from the map through the byte-swapping
    kernel, one pass, releasing each block's pages once consumed when ``release``;
    anything else is decoded block by block into small reused buffers first."""
    shape = infos[0].shape
    n = int(np.prod(shape, dtype=np.int64))
    if out is None:
        out = np.empty(shape, np.float32)
    elif out.size != n or out.dtype != np.float32 or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous float32 array of shape {shape}")
    flat = out.reshape(-1)
    mapped = _mapped_be_f32(p, infos)
    if mapped is not None:
        # pages are released only for a file this call opened (see _combine_by_integration)
        step, nt, inner = _workplan.plan(n, ERR_THREAD_BLOCK_ELEMENTS, MAPPED_BLOCK_ELEMENTS,
                                         threads)

        def block(i0: int, i1: int) -> None:
            kernels.err_from_variances(*(v[i0:i1] for v in mapped), out=flat[i0:i1],
                                       threads=inner)
            if release:
                for info in infos:
                    p.source.release(info.data_offset + 4 * i0, 4 * (i1 - i0))

        _workplan.run_blocks(n, step, block, nt)
        return out
    step = min(BLOCK_ELEMENTS, max(n, 1))
    bufs = [np.empty(step, np.float32) for _ in infos]
    for i0 in range(0, n, step):
        m = min(step, n - i0)
        for info, buf in zip(infos, bufs):
            decode_range(p.source, info, i0, m, np.dtype(np.float32), buf[:m], threads)
        kernels.err_from_variances(*(b[:m] for b in bufs), out=flat[i0:i0 + m],
                                   threads=threads)
    return out


def _write_extension(output: Any, replace: dict[str, np.ndarray], base: Any, source: Product,
                     overwrite: bool) -> Path:
    """Write a copy of product ``base`` with some extensions replaced (atomically)."""
    if base is None:
        raise ValueError(f"{source.path}: writing needs a product to hold the result "
                         "(into=, e.g. the rateints of the same exposure)")
    with open_product(base) as b:
        return copy_product(b, output, replace, origin=source.path, overwrite=overwrite)
