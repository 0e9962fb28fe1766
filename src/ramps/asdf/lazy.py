"""`AsdfLazyArray`: one array of an ASDF product, decoded on demand, plane by plane."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

__all__ = ["AsdfLazyArray"]


class AsdfLazyArray:
    """A lazy, read-only array in a chosen dtype: ``a[i]`` decodes plane ``i``
    only (for lz4, only the chunks that hold it); ``numpy.asarray(a)`` all."""

    def __init__(self, product: Any, name: str, dtype: Any):
        self._product, self._name = product, name
        self._info = product.info(name)
        self.dtype, self.shape = np.dtype(dtype), self._info.shape
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return self.shape[0] if self.shape else 0

    def __repr__(self) -> str:
        return (f"<AsdfLazyArray {self._name} of {self._product.path} shape={self.shape} "
                f"dtype={self.dtype}>")

    def read(self, out: Optional[np.ndarray] = None, threads: Optional[int] = None) -> np.ndarray:
        return self._product.read(self._name, dtype=self.dtype, out=out, threads=threads)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = self.read()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def __getitem__(self, key: Any) -> np.ndarray:
        first, rest = (key[0], key[1:]) if isinstance(key, tuple) and key else (key, ())
        if not self.shape:
            return self.read()[key]
        n = self.shape[0]
        if isinstance(first, (int, np.integer)) and not isinstance(first, bool):
            i = int(first) + n if first < 0 else int(first)
            if not 0 <= i < n:
                raise IndexError(f"index {first} out of range for axis 0 of size {n}")
            plane = self._product._read_planes(self._info, i, 1, self.dtype)[0]
            return plane[rest] if rest else plane
        if isinstance(first, slice) and first.indices(n)[2] == 1:
            start, stop, _ = first.indices(n)
            block = self._product._read_planes(self._info, start, max(stop - start, 0),
                                               self.dtype)
            return block[(slice(None),) + tuple(rest)] if rest else block
        return self.read()[key]
