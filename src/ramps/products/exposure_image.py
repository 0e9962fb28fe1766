"""A lazy image across the segments of an exposure (``exp.sci``, ``exp.lazy(name)``)."""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np

from ramps.products.api import LazyPlanes
from ramps.products.fits import LazyImage

__all__ = ["ExposureImage"]


class ExposureImage(LazyPlanes):
    """A lazy, read-only view of an image extension across the segments of an exposure.

    ``img[i]`` (negative ``i`` from the end) decodes integration ``i`` from the
    segment that holds it; a slice of the first axis may span segments;
    ``numpy.asarray(img)`` or ``img.read(out=...)`` decodes everything.
    """

    def __init__(self, exposure: Any, name: str, ver: int, dtype: Any):
        self._exposure, self._name, self._ver = exposure, name, ver
        self._parts: list[LazyImage] = [p.lazy(name, ver, dtype=dtype)
                                        for p in exposure.products]
        self.dtype = self._parts[0].dtype  # the segments' rule for dtype=None
        counts = [len(part) for part in self._parts]
        self._offsets = [0] + list(np.cumsum(counts, dtype=np.int64).tolist())
        self.shape: tuple[int, ...] = (self._offsets[-1],) + tuple(self._parts[0].shape[1:])
        self.where = f"{exposure.paths[0]} ... ({len(self._parts)} segments)[{name},{ver}]"

    def __repr__(self) -> str:
        return (f"<ExposureImage {self._name},{self._ver} of {len(self._parts)} segment(s) "
                f"shape={self.shape} dtype={self.dtype}>")

    def read(self, out: np.ndarray | None = None, threads: int | None = None) -> np.ndarray:
        """Decode the whole array (into ``out`` when given)."""
        return self._exposure.read(self._name, self._ver, dtype=self.dtype, out=out,
                                   threads=threads)

    def _planes(self, start: int, count: int) -> np.ndarray:
        if count == 1:  # from the one segment that holds it
            k = bisect.bisect_right(self._offsets, start) - 1
            return self._parts[k][start - self._offsets[k]][None]
        return self._run(range(start, start + count))

    def _run(self, idx: range) -> np.ndarray:
        """Integrations ``idx`` (a range of any step), one slice read per segment."""
        pieces = []
        order = range(len(self._parts)) if idx.step > 0 else range(len(self._parts) - 1, -1, -1)
        for k in order:
            lo, hi = self._offsets[k], self._offsets[k + 1]
            local = [i - lo for i in idx if lo <= i < hi]
            if local:
                stop = local[-1] + (1 if idx.step > 0 else -1)
                pieces.append(self._parts[k][local[0]:stop if stop >= 0 else None:idx.step])
        if not pieces:
            return np.empty((0,) + self.shape[1:], self.dtype)
        return np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
