"""What every kernel wrapper shares: the thread count rule and the output buffer check."""

from __future__ import annotations

import numpy as np

from ramps import _core


def have_openmp() -> bool:
    """True when the C core was built with OpenMP (multi-threaded kernels)."""
    return _core.have_openmp()


def check_threads(threads: int | None) -> int:
    """The C kernels' thread count for ``threads=``: 0 for None (every core), else the
    positive integer given; anything else is a ValueError.  Every ``threads=`` in
    ramps goes through here."""
    if threads is None:
        return 0
    if not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
    return int(threads)


def out_buffer(out: np.ndarray | None, dtype: np.dtype, n: int, name: str = "out") -> np.ndarray:
    """Validate a caller's output buffer (or allocate one); returns the array to fill."""
    if out is None:
        return np.empty(n, dtype=dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{name} has dtype {out.dtype}, expected {dtype}")
    if not out.dtype.isnative:
        raise TypeError(f"{name} must be in native byte order")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(f"{name} must be a writeable C-contiguous array")
    if out.size != n:
        raise ValueError(f"{name} holds {out.size} elements, {n} expected")
    return out
