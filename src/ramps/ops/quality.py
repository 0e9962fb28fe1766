"""The quality operations on whole products: DQ combining and ERR recomputation.

One public function each, for every format and scale: :func:`combine_dq` and
:func:`recompute_err` take a path, a list of segment paths (one exposure) or an open
product -- a JWST FITS :class:`~ramps.products.fits.Product`, an
:class:`~ramps.products.exposure.Exposure`, a Roman
:class:`~ramps.products.asdf.AsdfProduct` -- find the arrays by role
(:mod:`ramps.products.roles`: ``GROUPDQ`` / ``groupdq``, ``VAR_POISSON`` /
``var_poisson`` ...), and run one C kernel over them:

* eagerly (``dask=False``): a FITS file straight from its memory map, in blocks on
  every core (:mod:`ramps.ops.quality_fits`; an exposure segment after segment), a
  Roman file decoded whole (float16 variances through the float16 kernel);
* lazily (``dask=True``): the same kernels over the product's dask arrays
  (``p.to_dask``, :mod:`ramps.kernels.dask`), a chunk per task, equal to the eager
  result when computed.

What differs by format is the data, not the call: a Roman ramp is one integration, so
its DQ is one (ny, nx) plane; Roman ERR keeps the dtype the product stores ``err`` in
(float16 for a level 2 image).  ``output=`` writes a copy of a product with the result
in place (:func:`ramps.ops.copy.copy_product`, both formats).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ramps import kernels
from ramps.errors import FormatError
from ramps.ops import quality_fits
from ramps.ops.copy import copy_product
from ramps.products.api import ASDF
from ramps.products.exposure import open_exposure
from ramps.products.open import open as open_product
from ramps.products.roles import array_name, role_name, shape_of, variance_names, where

__all__ = ["combine_dq", "recompute_err"]


def _as_product(product: Any) -> tuple[Any, bool]:
    """(product, whether this call opened it): a path or URL is opened, a list of
    segment paths opened as one exposure, an open product used as it is."""
    if isinstance(product, (str, os.PathLike)):
        return open_product(product), True
    if isinstance(product, (list, tuple)):
        return open_exposure(list(product)), True
    return product, False


def _lazy_only(out: Any, output: Any) -> None:
    if out is not None or output is not None:
        raise TypeError("dask=True returns a lazy dask array: out= and output= are for the "
                        "numpy route (store the array with dask.array.store instead)")


def _out(out: np.ndarray | None, shape: tuple[int, ...], dtype: Any, what: str) -> np.ndarray:
    """``out`` checked (C-contiguous, ``shape``'s size, ``dtype`` when given) and viewed
    with ``shape``, or a new array."""
    if out is None:
        return np.empty(shape, dtype)
    if (out.size != int(np.prod(shape, dtype=np.int64)) or not out.flags.c_contiguous
            or (dtype is not None and out.dtype != dtype)):
        raise ValueError(f"out must be a C-contiguous {what} array of shape {shape}")
    return out.reshape(shape)


def combine_dq(
    product: Any,
    *,
    rules: str = "or",
    mask: int = 0xFF,
    out: np.ndarray | None = None,
    into: Any = None,
    output: str | os.PathLike | None = None,
    overwrite: bool = False,
    threads: int | None = None,
    dask: bool = False,
) -> Any:
    """One DQ plane per integration from a ramp's PIXELDQ and GROUPDQ.

    Returns the uint32 (nints, ny, nx) array of a JWST ramp (in ``out`` when given);
    a Roman ramp (``pixeldq``, ``groupdq`` of (nresultants, ny, nx)) is one
    integration: one (ny, nx) plane.  See :func:`ramps.kernels.combine_dq` for
    ``rules`` and ``mask``.

    With ``output=`` a path, writes a copy of the product ``into`` (a path or an open
    product of the same exposure: a JWST rateints or rate, a Roman level 2 image) with
    its DQ replaced, and returns the output path: a product whose DQ has one axis
    fewer than the result (a rate: one plane) gets their
    :func:`~ramps.kernels.collapse_dq` under the same rules.

    ``dask=True``: a lazy dask array, a chunk of integrations (resultants) per task,
    equal to the eager result when computed (no ``out``/``output``: TypeError).
    Errors about the file (no PIXELDQ/GROUPDQ, shapes) are
    :class:`~ramps.errors.FormatError` naming it.
    """
    if dask:
        _lazy_only(out, output)
    p, owned = _as_product(product)
    try:
        if output is not None and into is None:
            raise FormatError(where(p), "writing the DQ needs a product to hold it: into= "
                              "(the rateints or rate of the same exposure; for a Roman ramp, "
                              "its level 2 image)")
        pix, grp, shape = _dq_arrays(p)
        one_integration = len(shape) == 2  # a Roman ramp
        if dask:
            pixeldq, groupdq = p.to_dask(pix), p.to_dask(grp)
            if one_integration:
                groupdq = groupdq[None]
            dq = kernels.combine_dq(pixeldq, groupdq, rules=rules, mask=mask, threads=threads)
            return dq[0] if one_integration else dq
        dq = _out(out, shape, np.uint32, "uint32")
        if p.format == ASDF:
            groupdq = p.read(grp, threads=threads)[None]
            kernels.combine_dq(p.read(pix, threads=threads), groupdq, rules=rules, mask=mask,
                               out=dq.reshape((1,) + shape), threads=threads)
        else:
            for seg, part in quality_fits.pieces(p, grp):
                quality_fits.combine_dq_into(seg, dq[part], rules, mask, threads,
                                             release=owned)
        if output is None:
            return dq if out is None else out
        return _write_dq(p, dq, into, output, rules, overwrite, threads)
    finally:
        if owned:
            p.close()


def _dq_arrays(p: Any) -> tuple[str, str, tuple[int, ...]]:
    """(PIXELDQ's name, GROUPDQ's name, the result's shape) of ``p``: GROUPDQ is
    (nints, ngroups, ny, nx) in FITS, (nresultants, ny, nx) in a Roman ramp."""
    pix, grp = array_name(p, "PIXELDQ"), array_name(p, "GROUPDQ")
    if pix is None or grp is None:
        names = ", ".join(e.name for e in p.extensions) or "no arrays"
        raise FormatError(where(p), f"combining DQ needs {role_name(p, 'PIXELDQ')} and "
                          f"{role_name(p, 'GROUPDQ')} (a ramp); this {p.kind} product has "
                          f"{names}")
    pshape, gshape = shape_of(p, pix), shape_of(p, grp)
    if p.format == ASDF:
        want, axes = 3, "(nresultants, ny, nx)"
    else:
        want, axes = 4, "(nints, ngroups, ny, nx)"
    if len(gshape) != want:
        raise FormatError(where(p), f"expected {want}-D {axes}, found shape {gshape}",
                          grp if p.format == ASDF else f"{grp},1")
    if gshape[-2:] != pshape:
        raise FormatError(where(p), f"the image shape {gshape[-2:]} is not {pix}'s {pshape}",
                          grp if p.format == ASDF else f"{grp},1")
    return pix, grp, gshape[:1] + pshape if want == 4 else pshape


def _write_dq(p: Any, dq: np.ndarray, into: Any, output: Any, rules: str, overwrite: bool,
              threads: int | None) -> Path:
    target, owned = _as_product(into)
    try:
        name = role_name(target, "DQ")
        if name in target and len(shape_of(target, name)) == dq.ndim - 1:
            # a rate-shaped product: one DQ plane for the exposure
            dq = kernels.collapse_dq(dq, rules=rules, threads=threads)
        return copy_product(target, output, {name: dq}, origin=where(p), overwrite=overwrite,
                            threads=threads)
    finally:
        if owned:
            target.close()


def recompute_err(
    product: Any,
    *,
    out: np.ndarray | None = None,
    output: str | os.PathLike | None = None,
    overwrite: bool = False,
    threads: int | None = None,
    dask: bool = False,
) -> Any:
    """ERR = sqrt(VAR_POISSON + VAR_RNOISE [+ VAR_FLAT]) from the variances present.

    Works on rate, rateints, cal, calints (and any product with two or three
    variance arrays of one shape), Roman level 2 and 3 products (``var_poisson``,
    ``var_rnoise`` [, ``var_flat``]) and exposures.  Returns the array: float32, or
    for a Roman product the dtype it stores ``err`` in (float16 for an ImageModel:
    float16 variances summed and rooted in float32, rounded once; ``out``'s dtype
    when given).  With ``output=`` writes a copy of the product with ERR replaced
    and returns its path.  ``dask=True``: a lazy dask array equal to the eager
    result when computed (no ``out``/``output``: TypeError).  Fewer than two
    variances, or variances of different shapes: :class:`~ramps.errors.FormatError`
    naming the file.
    """
    if dask:
        _lazy_only(out, output)
    p, owned = _as_product(product)
    try:
        names = variance_names(p)
        shape = shape_of(p, names[0])
        var_dtype, err_dtype = _err_dtypes(p, names, out)
        if dask:
            variances = [p.to_dask(n, dtype=var_dtype) for n in names]
            return kernels.err_from_variances(*variances, dtype=err_dtype, threads=threads)
        if p.format == ASDF:
            err = _out(out, shape, err_dtype, err_dtype.name)
            variances = [p.read(n, dtype=var_dtype, threads=threads) for n in names]
            kernels.err_from_variances(*variances, out=err, dtype=err.dtype, threads=threads)
        else:
            err = _out(out, shape, np.float32, "float32")
            for seg, part in quality_fits.pieces(p, names[0]):
                quality_fits.err_into(seg, names, err[part], threads, release=owned)
        if output is None:
            return err if out is None else out
        return copy_product(p, output, {role_name(p, "ERR"): err}, origin=where(p),
                            overwrite=overwrite, threads=threads)
    finally:
        if owned:
            p.close()


def _err_dtypes(p: Any, names: list[str], out: np.ndarray | None) -> tuple[np.dtype, np.dtype]:
    """(dtype the variances are read in, dtype of ERR).  FITS: float32 and float32.
    ASDF: float16 when every variance is stored float16 (the float16 kernel), else
    float32; ERR in ``out``'s dtype, else the dtype ``err`` is stored in (float16 of
    float16 variances only), else float32."""
    f32 = np.dtype(np.float32)
    if p.format != ASDF:
        return f32, f32
    stored = {p.info(n).dtype.newbyteorder("=") for n in names}
    var_dtype = np.dtype(np.float16) if stored == {np.dtype(np.float16)} else f32
    if out is not None:
        return var_dtype, out.dtype
    err = array_name(p, "ERR")
    if err is None or var_dtype == f32:
        return var_dtype, f32
    return var_dtype, p.info(err).dtype.newbyteorder("=")
