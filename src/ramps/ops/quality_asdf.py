"""DQ combining and ERR recomputation on Roman (ASDF) products.

What :func:`ramps.combine_dq` and :func:`ramps.recompute_err` run when given an
ASDF product; arrays are found by role (:func:`ramps.products.roles.array_name`).

* ERR of a level 2 image (``var_poisson``, ``var_rnoise`` [, ``var_flat``],
  float16 in rad 1.2) goes through the float16 kernel: summed and rooted in
  float32, rounded once to the dtype the product stores ``err`` in (float16
  for ImageModel, float32 for MosaicModel).
* A Roman ramp is one integration: ``pixeldq`` (ny, nx) and ``groupdq``
  (nresultants, ny, nx) combine into one (ny, nx) uint32 plane.
* ``output=``: a copy of the product (same kind, meta and other arrays; lz4 as
  roman_datamodels saves) with the result in place of ``err``, written atomically
  by :func:`ramps.ops.copy.copy_product`, the copy operation of both formats.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ramps import kernels
from ramps.ops.copy import copy_product
from ramps.products.roles import array_name

__all__ = ["VARIANCE_ROLES", "combine_dq", "recompute_err"]

#: Variance roles whose sum is ERR**2, in the order they are summed.
VARIANCE_ROLES = ("VAR_POISSON", "VAR_RNOISE", "VAR_FLAT")


def recompute_err(p: Any, *, out: np.ndarray | None = None, output: Any = None,
                  overwrite: bool = False, threads: int | None = None,
                  compression: str | None = "lz4") -> Any:
    """ERR = sqrt(var_poisson + var_rnoise [+ var_flat]) of an ASDF product (see module)."""
    present = [n for n in (array_name(p, r) for r in VARIANCE_ROLES) if n]
    if len(present) < 2:
        raise ValueError(f"{p.path}: ERR needs at least two of "
                         f"{', '.join(r.lower() for r in VARIANCE_ROLES)}; found "
                         f"{', '.join(present) or 'none'}")
    shapes = {n: p.info(n).shape for n in present}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"{p.path}: variance arrays differ in shape: "
                         + ", ".join(f"{n} {s}" for n, s in shapes.items()))
    err_name = array_name(p, "ERR")
    if out is not None:
        dtype = out.dtype
    else:
        dtype = p.info(err_name).dtype.newbyteorder("=") if err_name else np.dtype(np.float32)
    variances = [p.read(n, threads=threads) for n in present]
    if len({v.dtype for v in variances}) > 1:  # mixed float16/float32: sum in float32
        variances = [v.astype(np.float32) for v in variances]
    err = kernels.err_from_variances(*variances, out=out, dtype=dtype, threads=threads)
    if output is None:
        return err
    return copy_product(p, output, {err_name or "err": err}, overwrite=overwrite,
                        compression=compression, threads=threads)


def combine_dq(p: Any, *, rules: str = "or", mask: int = 0xFF,
               out: np.ndarray | None = None, threads: int | None = None) -> np.ndarray:
    """The (ny, nx) uint32 DQ of a Roman ramp: ``pixeldq`` combined with every
    resultant of ``groupdq`` under ``rules`` (see :func:`ramps.kernels.combine_dq`)."""
    pix_name, grp_name = array_name(p, "PIXELDQ"), array_name(p, "GROUPDQ")
    if pix_name is None or grp_name is None:
        raise ValueError(f"{p.path}: combining DQ needs pixeldq and groupdq (a ramp), "
                         f"this {p.kind} product has {', '.join(p.names) or 'no arrays'}")
    pixeldq = p.read(pix_name, threads=threads)
    groupdq = p.read(grp_name, threads=threads)
    if groupdq.ndim != 3 or groupdq.shape[1:] != pixeldq.shape:
        raise ValueError(f"{p.path}[{grp_name}]: expected (nresultants, ny, nx) with "
                         f"pixeldq's {pixeldq.shape}, found {groupdq.shape}")
    if out is None:
        out = np.empty(pixeldq.shape, np.uint32)
    elif out.shape != pixeldq.shape or out.dtype != np.uint32 or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous uint32 array of shape {pixeldq.shape}")
    kernels.combine_dq(pixeldq, groupdq[np.newaxis], rules=rules, mask=mask,
                       out=out.reshape((1,) + out.shape), threads=threads)
    return out
