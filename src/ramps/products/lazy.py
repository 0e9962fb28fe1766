"""`LazyImage`: an image HDU of a :class:`~ramps.products.fits.Product` read plane by plane.

``p.sci[i]`` decodes integration ``i`` only (one call to the C kernels over its
bytes); ``numpy.asarray(p.sci)`` decodes the whole image in one pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Union

import numpy as np

from ramps.fits.read import decode_range
from ramps.products.api import LazyPlanes

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from ramps.products.fits import Product

__all__ = ["Key", "LazyImage"]

#: How an HDU is named: position, EXTNAME, or (EXTNAME, EXTVER).
Key = Union[int, str, "tuple[str, int]"]


class LazyImage(LazyPlanes):
    """A lazy, read-only view of an image extension in a chosen dtype.

    ``img[i]`` (or a slice of the first axis) decodes only those planes;
    ``numpy.asarray(img)`` or ``img.read(out=...)`` decodes everything in one pass.
    """

    def __init__(self, product: Product, name: Key, ver: int | None, dtype: Any):
        self._product = product
        self._info = product.hdu(name, ver)
        self._label, self._index = self._info.label, self._info.index
        self.dtype = np.dtype(dtype)
        self.shape = self._info.shape
        self.path, self.extension = product.path, self._label
        self.where = f"{product.path}[{self._label}]"

    def __repr__(self) -> str:
        return (f"<LazyImage {self._label} of {self._product.path} "
                f"shape={self.shape} dtype={self.dtype}>")

    def read(self, out: np.ndarray | None = None, threads: int | None = None) -> np.ndarray:
        """Decode the whole array (into ``out`` when given)."""
        return self._product.read(self._index, dtype=self.dtype, out=out, threads=threads)

    def _planes(self, start: int, count: int) -> np.ndarray:
        """Planes ``start .. start + count`` of the first axis, decoded."""
        self._product._check_open()
        plane = int(np.prod(self.shape[1:], dtype=np.int64))
        out = np.empty((count,) + tuple(self.shape[1:]), self.dtype)
        if count * plane:
            decode_range(self._product.source, self._info, start * plane, count * plane,
                         self.dtype, out, None)
        return out
