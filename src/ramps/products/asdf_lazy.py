"""`AsdfLazyArray`: one array of an ASDF product, decoded on demand, plane by plane."""

from __future__ import annotations

from typing import Any

import numpy as np

from ramps.products.api import LazyPlanes

__all__ = ["AsdfLazyArray"]


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
        return self._product._read_planes(self._info, start, count, self.dtype)
