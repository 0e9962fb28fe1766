"""`AsdfLazyArray`: one array of an ASDF product, decoded on demand, plane by plane."""

from __future__ import annotations

from typing import Any

import numpy as np

from ramps.fits.read import pick_indices
from ramps.products.api import LazyPlanes

__all__ = ["AsdfLazyArray", "read_selection"]


class AsdfLazyArray(LazyPlanes):
    """A lazy, read-only array in a chosen dtype: ``a[i]`` decodes plane ``i``
    only (for lz4, only the chunks that hold it); ``numpy.asarray(a)`` all."""

    def __init__(self, product: Any, name: str, dtype: Any):
        self._product, self._name = product, name
        self._info = product.info(name)
        self.dtype, self.shape = np.dtype(dtype), self._info.shape
        self.where = f"{product.path}[{name}]"

    def __repr__(self) -> str:
        return (f"<AsdfLazyArray {self._name} of {self._product.path} shape={self.shape} "
                f"dtype={self.dtype}>")

    def read(self, out: np.ndarray | None = None, threads: int | None = None) -> np.ndarray:
        return self._product.read(self._name, dtype=self.dtype, out=out, threads=threads)

    def _planes(self, start: int, count: int) -> np.ndarray:
        return self._product.read_planes(self._info, start, count, self.dtype)


def read_selection(product: Any, info: Any, name: str, dtype: np.dtype, integrations: Any,
                   groups: Any) -> np.ndarray:
    """The chosen integrations (axis 0) and groups/resultants (axis 1) of an ASDF array,
    decoding only their planes; indices as :func:`ramps.fits.read.pick_indices` takes
    them (an int drops the axis, as numpy indexing)."""
    where = f"{product.path}[{name}]"
    if len(info.shape) < (2 if groups is not None else 1):
        raise ValueError(f"{where}: a {len(info.shape)}-D array has no "
                         f"{'groups' if groups is not None else 'integrations'} axis")
    ints, keep = pick_indices(integrations, info.shape[0], "integration", where)
    planes = [product.read_planes(info, i, 1, dtype)[0] for i in ints]
    if groups is not None:
        grps, keep_g = pick_indices(groups, info.shape[1], "group", where)
        planes = [plane[grps] if keep_g else plane[grps[0]] for plane in planes]
    if not keep:
        return planes[0]
    rest = planes[0].shape if planes else (
        ((len(grps),) if groups is not None and keep_g else ()) + tuple(info.shape[2:])
        if groups is not None else tuple(info.shape[1:]))
    return np.stack(planes) if planes else np.empty((0,) + tuple(rest), dtype)
