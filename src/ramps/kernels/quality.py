"""DQ and ERR kernels: combining PIXELDQ and GROUPDQ (OR or stcal's rules), collapsing
per-integration DQ, and ERR as the square root of summed variances.  Dask arrays go to
:mod:`ramps.kernels.dask`."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ramps import _core
from ramps.kernels._common import out_buffer, check_threads
from ramps.kernels.flags import DO_NOT_USE


def _is_dask(*arrays: Any) -> bool:
    """Whether any argument is a dask array (without importing dask: none can be unless loaded)."""
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and any(isinstance(a, dask_array.Array) for a in arrays)


def _array(a: Any, dtype: Any, ndim: int, name: str) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    dtype = np.dtype(dtype)
    if a.dtype.newbyteorder("=") != dtype or a.dtype.itemsize != dtype.itemsize:
        raise TypeError(f"{name} must have dtype {dtype}, got {a.dtype}")
    if not a.dtype.isnative and a.dtype.itemsize > 1:
        raise TypeError(f"{name} must be in native byte order, got {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    return a


def _array_be_f32(a: Any, ndim: int, name: str) -> np.ndarray:
    """Like _array for big-endian float32 (>f4), which _array refuses as non-native."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    if a.dtype != np.dtype(">f4"):
        raise TypeError(f"{name} must have dtype >f4 (big-endian float32, as variance 1), "
                        f"got {a.dtype.str}: the variances must all be in one byte order")
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    return a


def combine_dq(
    pixeldq: np.ndarray,
    groupdq: np.ndarray,
    *,
    rules: str = "or",
    mask: int = 0xFF,
    out: np.ndarray | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """Combine PIXELDQ and GROUPDQ into one DQ plane per integration.

    Parameters
    ----------
    pixeldq
        uint32, shape (ny, nx).
    groupdq
        uint8, shape (nints, ngroups, ny, nx).
    rules
        ``"or"``: pixeldq | OR over groups of (groupdq & mask).
        ``"stcal"``: the integration DQ of stcal's ramp fitting: start from
        pixeldq; add JUMP_DET (4), PERSISTENCE (32) and SATURATED (2) where any
        group has them; add DO_NOT_USE (1) where group 0 is saturated or every
        group is DO_NOT_USE or SATURATED, and SATURATED|DO_NOT_USE where every
        group is saturated.  Other group flags (DROPOUT, AD_FLOOR, CHARGELOSS
        ...) are not copied.  ``mask`` is applied to groupdq first.  With no
        groups, "every group" holds vacuously (DO_NOT_USE|SATURATED).
    out
        uint32 (nints, ny, nx) to fill, or None to allocate.

    Returns
    -------
    numpy.ndarray
        uint32, shape (nints, ny, nx).  Dask inputs give a lazy dask array
        (:func:`ramps.kernels.dask.combine_dq`).
    """
    if _is_dask(pixeldq, groupdq):
        from ramps.kernels.dask import combine_dq as dask_combine_dq
        return dask_combine_dq(pixeldq, groupdq, rules=rules, mask=mask, out=out, threads=threads)
    pixeldq = _array(pixeldq, np.uint32, 2, "pixeldq")
    groupdq = _array(groupdq, np.uint8, 4, "groupdq")
    if groupdq.shape[2:] != pixeldq.shape:
        raise ValueError(
            f"groupdq image shape {groupdq.shape[2:]} does not match pixeldq {pixeldq.shape}"
        )
    if rules not in ("or", "stcal"):
        raise ValueError(f"rules must be 'or' or 'stcal', got {rules!r}")
    if not 0 <= int(mask) <= 0xFF:
        raise ValueError(f"mask must fit in 8 bits (groupdq is uint8), got {mask!r}")
    nints, ngroups = groupdq.shape[:2]
    shape = (nints,) + pixeldq.shape
    result = out_buffer(out, np.dtype(np.uint32), int(np.prod(shape)))
    if out is not None and out.shape != shape:
        raise ValueError(f"out has shape {out.shape}, expected {shape}")
    _core.combine_dq(pixeldq.reshape(-1), groupdq.reshape(-1), result.reshape(-1),
                     nints, ngroups, int(mask), rules == "stcal", check_threads(threads))
    return result if out is not None else result.reshape(shape)


def collapse_dq(
    dq: np.ndarray, *, rules: str = "or", out: np.ndarray | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """Collapse per-integration DQ (nints, ny, nx) to one plane (ny, nx).

    ``"or"``: OR over integrations.  ``"stcal"``: the same, except DO_NOT_USE
    is kept only where every integration has it.
    """
    dq = _array(dq, np.uint32, 3, "dq")
    if rules not in ("or", "stcal"):
        raise ValueError(f"rules must be 'or' or 'stcal', got {rules!r}")
    shape = dq.shape[1:]
    result = out_buffer(out, np.dtype(np.uint32), int(np.prod(shape)))
    if out is not None and out.shape != shape:
        raise ValueError(f"out has shape {out.shape}, expected {shape}")
    _core.collapse_dq(dq.reshape(-1), result.reshape(-1), dq.shape[0],
                      DO_NOT_USE if rules == "stcal" else 0, check_threads(threads))
    return result if out is not None else result.reshape(shape)


def err_from_variances(
    *variances: np.ndarray,
    out: np.ndarray | None = None,
    dtype: Any = None,
    threads: int | None = None,
) -> np.ndarray:
    """ERR = sqrt(sum of two or three variance arrays), elementwise.

    float32 inputs give float32, summed left to right in float32 as numpy's
    ``np.sqrt(a + b + c)`` does (bit-identical).  float16 inputs (Roman level 2
    stores err and var_* as float16) are summed and rooted in float32 and
    returned as float32 or, with ``dtype=float16``, rounded once to float16.
    NaN and inf propagate as in numpy.

    float32 inputs may also be big-endian (``>f4``, as FITS stores them, e.g.
    the read-only memory-mapped views of ``Product[...]``): all of them then,
    at any alignment.  They are byte-swapped as they are read, in the same
    single pass, with the same result bit for bit (NaN payloads included) as
    swapping them first; the output is native float32.  Dask inputs give a lazy
    dask array (:func:`ramps.kernels.dask.err_from_variances`).
    """
    if _is_dask(*variances):
        from ramps.kernels.dask import err_from_variances as dask_err
        return dask_err(*variances, out=out, dtype=dtype, threads=threads)
    if len(variances) not in (2, 3):
        raise TypeError(f"err_from_variances takes 2 or 3 variance arrays, got {len(variances)}")
    first = variances[0]
    if not isinstance(first, np.ndarray):
        raise TypeError(f"variances must be numpy arrays, got {type(first).__name__}")
    in_dtype = first.dtype.newbyteorder("=")
    if in_dtype not in (np.dtype(np.float32), np.dtype(np.float16)):
        raise TypeError(f"variances must be float32 or float16, got {first.dtype}")
    # big-endian float32 on a little-endian machine: the byte-swapping kernel
    swapped = not first.dtype.isnative and in_dtype == np.float32 and first.dtype.byteorder == ">"
    if swapped:
        arrs = [_array_be_f32(v, first.ndim, f"variance {i + 1}")
                for i, v in enumerate(variances)]
    else:
        arrs = [_array(v, in_dtype, first.ndim, f"variance {i + 1}")
                for i, v in enumerate(variances)]
    for i, v in enumerate(arrs[1:], 2):
        if v.shape != first.shape:
            raise ValueError(f"variance {i} has shape {v.shape}, variance 1 has {first.shape}")
    out_dtype = np.dtype(dtype) if dtype is not None else (
        np.dtype(np.float32) if out is None else out.dtype)
    allowed = (np.float32,) if in_dtype == np.float32 else (np.float32, np.float16)
    if out_dtype not in [np.dtype(t) for t in allowed]:
        raise TypeError(f"{in_dtype} variances give {' or '.join(np.dtype(t).name for t in allowed)}"
                        f" ERR, not {out_dtype}")
    result = out_buffer(out, out_dtype, first.size)
    if out is not None and out.shape != first.shape:
        raise ValueError(f"out has shape {out.shape}, expected {first.shape}")
    flat = [a.reshape(-1) for a in arrs]
    c = flat[2] if len(flat) == 3 else None
    nt = check_threads(threads)
    if swapped:
        b = [f.view(np.uint8) for f in flat]
        _core.err_f32be(b[0], b[1], b[2] if c is not None else None, result.reshape(-1), nt)
    elif in_dtype == np.float32:
        _core.err_f32(flat[0], flat[1], c, result.reshape(-1), nt)
    else:
        u16 = [f.view(np.uint16) for f in flat]
        dst = result.reshape(-1)
        is16 = out_dtype == np.float16
        _core.err_f16(u16[0], u16[1], u16[2] if c is not None else None,
                      dst.view(np.uint16) if is16 else dst, is16, nt)
    return result if out is not None else result.reshape(first.shape)
