"""TSO segments opened as one product: :class:`Exposure`.

Each segment's primary header carries EXSEGNUM (1..), EXSEGTOT, and INTSTART /
INTEND, the 1-based inclusive range of integrations it holds (see
:mod:`ramps.products.segments`, which also writes them).  :func:`open_exposure` gathers
the segments of one exposure into an :class:`Exposure`, which has the product
interface (:class:`ramps.products.api.ProductAPI`): ``exp.sci[-1]``,
``exp["GROUPDQ"]``, ``exp.read("SCI", raw=True)``, ``exp.meta`` ... run across
all segments as if they were one file; :func:`merge_segments` writes that file.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ramps import naming
from ramps.products.exposure_checks import consistency_problems
from ramps.products.exposure_image import ExposureImage
from ramps.products.api import FITS, ExtensionInfo
from ramps.products.fits import Product
from ramps.products.open import open as open_product
from ramps.products.segments import (
    SEGMENT_KEYWORDS,
    Segment,
    SegmentError,
    per_integration,
    read_segment,
    segment_header,
    segment_meta,
)
from ramps.sources import expand_paths
from ramps.specs.problems import ERROR, Problem, Problems, ValidationError

__all__ = ["Exposure", "ExposureImage", "SegmentError", "open_exposure"]

_IMAGE = ("IMAGE", "PRIMARY")


class Exposure:
    """The segments of one exposure, opened as one product; integrations run across
    all of them.  See :class:`ramps.products.api.ProductAPI` for the interface.

    ``products`` are the segment products in segment order, ``ranges`` their
    (INTSTART, INTEND), 1-based inclusive.  :func:`open_exposure` gathers a whole
    exposure (ranges from 1 to NINTS); :func:`ramps.ops.ramp.alone` makes one of a single
    file, which for a lone segment holds only its own range of the exposure's integrations.
    """

    format = FITS

    def __init__(self, products: list[Product], ranges: list[tuple[int, int]]):
        self.products = list(products)
        self.ranges = [(int(s), int(e)) for s, e in ranges]
        self._segmented = SEGMENT_KEYWORDS[0] in self.products[0].primary_header
        self._meta: dict | None = None

    # -- life cycle -------------------------------------------------------
    def close(self) -> None:
        """Release every segment file; arrays already handed out stay valid."""
        for p in self.products:
            p.close()

    def __enter__(self) -> Exposure:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return all(p.closed for p in self.products)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"{self.nints} integrations"
        return (f"<Exposure {self.kind} {self.paths[0]} + {len(self.products) - 1} more "
                f"segment(s) ({state})>" if len(self.products) > 1 else
                f"<Exposure {self.kind} {self.paths[0]} ({state})>")

    # -- structure --------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.products[0].kind

    @property
    def model(self) -> str | None:
        """The data-model class of the segments (their DATAMODL)."""
        return self.products[0].model

    @property
    def spec(self) -> Any:
        return self.products[0].spec

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.products]

    @property
    def nints(self) -> int:
        return self.ranges[-1][1]

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of SCI over the whole exposure (``exp.lazy(name).shape`` for others)."""
        return self.lazy("SCI").shape

    def __contains__(self, key: Any) -> bool:
        return key in self.products[0]

    def versions(self, name: str) -> list[int]:
        return self.products[0].versions(name)

    def _info(self, key: Any, ver: int = 1) -> Any:
        """The first segment's index entry of an extension (name, (name, ver) or index)."""
        if isinstance(key, tuple):
            key, ver = key
        return self.products[0].hdu(key, ver)

    def along_nints(self, name: Any, ver: int = 1) -> bool:
        """Whether an extension runs along integrations (split across segments): by the
        spec where it lists the extension, else by every segment's axis 0 matching its
        INTSTART..INTEND (INT_TIMES rows always)."""
        info = self._info(name, ver)
        if info.name.upper() == "INT_TIMES":
            return True
        if info.kind not in _IMAGE or not info.shape or info.index == 0:
            return False
        by_spec = per_integration(getattr(self.products[0], "spec", None), info.name)
        if by_spec is not None:
            return by_spec
        return all(len(p.hdu(info.name, info.ver).shape) == len(info.shape)
                   and p.hdu(info.name, info.ver).shape[0] == e - s + 1
                   for p, (s, e) in zip(self.products, self.ranges))

    @property
    def extensions(self) -> list[ExtensionInfo]:
        """The first segment's extensions with the shapes of the whole exposure."""
        out = []
        for e in self.products[0].extensions:
            if e.type != "PRIMARY" and self.along_nints(e.name, e.ver):
                n = self._length(self._info(e.name, e.ver))
                e = ExtensionInfo(e.name, e.ver, e.type, e.dtype, (n,) + tuple(e.shape[1:]))
            out.append(e)
        return out

    def header(self, name: Any = 0, ver: int = 1) -> Any:
        """An HDU header of the whole exposure (a copy): the first segment's, the primary's
        without segment keywords and with NINTS of the exposure, an extension's with
        its axis along integrations (NAXISn, or NAXIS2 for INT_TIMES rows) of the whole."""
        info = self._info(name, ver)
        h = self.products[0].header(info.index).copy()
        if info.index == 0:
            if self._segmented:
                h = segment_header(h, None)
                if "NINTS" in h:
                    h["NINTS"] = self.nints
        elif self.along_nints(info.index):
            axis = 2 if info.kind not in _IMAGE else len(info.shape)
            h[f"NAXIS{axis}"] = self._length(info)
        return h

    @property
    def primary_header(self) -> Any:
        return self.header(0)

    # -- arrays -----------------------------------------------------------
    def __getitem__(self, key: Any) -> np.ndarray:
        """An extension's data over the whole exposure: along integrations the segments'
        concatenated (images as stored, INT_TIMES rows), else the first segment's."""
        info = self._info(key)
        if not self.along_nints(info.index):
            return self.products[0][key]
        parts = [p[info.name, info.ver] for p in self.products]
        if info.kind not in _IMAGE and self._segmented:
            parts = [_rows_within(t, s, e) for t, (s, e) in zip(parts, self.ranges)]
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def _length(self, info: Any) -> int:
        """The length along integrations of an extension over the whole exposure."""
        if info.kind in _IMAGE:
            return sum(p.hdu(info.name, info.ver).shape[0] for p in self.products)
        return len(self[info.name, info.ver])

    def read(self, name: Any = "SCI", ver: int = 1, *, dtype: Any = None,
             out: np.ndarray | None = None, raw: bool = False,
             threads: int | None = None) -> np.ndarray:
        """Decode a whole image extension of the exposure (see :meth:`Product.read`): one
        array over all segments for those along integrations, the first segment's else."""
        info = self._info(name, ver)
        first = self.products[0]
        if info.kind not in _IMAGE or not self.along_nints(info.index):
            return first.read(info.name if info.index else 0, info.ver, dtype=dtype, out=out,
                              raw=raw, threads=threads)
        target = info.physical_dtype if raw or dtype is None else np.dtype(dtype)
        shapes = [p.hdu(info.name, info.ver).shape for p in self.products]
        shape = (sum(s[0] for s in shapes),) + tuple(info.shape[1:])
        if out is None:
            out = np.empty(shape, target)
        elif out.size != int(np.prod(shape, dtype=np.int64)) or not out.flags.c_contiguous:
            raise ValueError(f"out must be a C-contiguous array of {shape} elements, the "
                             f"exposure's {info.name},{info.ver} (has {out.shape})")
        whole = out.reshape(shape)
        i = 0
        for p, s in zip(self.products, shapes):
            p.read(info.name, info.ver, dtype=target, out=whole[i:i + s[0]], threads=threads)
            i += s[0]
        return out

    def lazy(self, name: str = "SCI", ver: int = 1, dtype: Any = None) -> Any:
        """A lazy image of an extension: an :class:`ExposureImage` across the segments
        for those along integrations, the first segment's :class:`LazyImage` else
        (default dtype as :meth:`Product.lazy`'s)."""
        info = self._info(name, ver)
        if not self.along_nints(info.index):
            return self.products[0].lazy(info.name, info.ver, dtype=dtype)
        return ExposureImage(self, info.name, info.ver, dtype)

    @property
    def sci(self) -> Any:
        """SCI across the segments, lazy float32 (or stored float): ``exp.sci[-1]``."""
        return self.lazy("SCI")

    def locate(self, integration: int) -> tuple[Product, int]:
        """(segment product, index within it) of a 0-based integration (negative: from
        the end)."""
        i = integration + self.nints if integration < 0 else integration
        if not 0 <= i < self.nints:
            raise IndexError(f"integration {integration} out of range 0..{self.nints - 1}")
        for p, (start, end) in zip(self.products, self.ranges):
            if start - 1 <= i < end:
                return p, i - (start - 1)
        raise IndexError(f"integration {integration} is not in {', '.join(self.paths)} "
                         f"(integrations {self.ranges[0][0]}..{self.ranges[-1][1]}, 1-based)")

    def integration(self, i: int, name: str = "SCI", dtype: Any = np.float32) -> np.ndarray:
        """One integration of ``name`` (0-based across segments, negative from the end),
        decoded."""
        p, j = self.locate(i)
        return p.lazy(name, dtype=dtype)[j]

    # -- metadata and checks ----------------------------------------------
    @property
    def meta(self) -> dict:
        """The metadata of the whole exposure: the first segment's, with
        ``exposure.nints`` of the exposure and no segment entries."""
        if self._meta is None:
            meta = self.products[0].meta
            self._meta = segment_meta(meta, None, self.nints) if self._segmented else meta
        return self._meta

    def to_dask(self, name: str = "SCI", *, ver: int = 1, dtype: Any = None, chunks: Any = None):
        """An extension across the segments as a lazy dask array (ramps.products.dask.to_dask)."""
        from ramps.products.dask import to_dask

        return to_dask(self, name, ver=ver, dtype=dtype, chunks=chunks)

    def validate(self, strict: bool = False) -> Problems:
        """Each segment's problems against its spec, then the exposure's (errors):
        segments of one kind with the same extensions, each holding INTSTART..INTEND
        along integrations, the others equal, INT_TIMES numbered 1..nints, meta and
        header keywords agreeing.  ``strict=True`` raises :class:`ValidationError`
        when there is an error (notes never raise)."""
        found: list[Problem] = []
        for p in self.products:
            found.extend(p.validate())
        for text in consistency_problems(self):  # "{path}[{ext}]: {message}" strings
            path = next((p.path for p in self.products if text.startswith(p.path)), "")
            ext, _, message = text[len(path):].partition(": ")
            found.append(Problem(ERROR, path, ext.strip("[]") or None, message))
        problems = Problems([f for f in found if f.is_error] + [f for f in found if not f.is_error])
        if strict and problems.errors:
            raise ValidationError.from_problems(problems)
        return problems


def _rows_within(table: np.ndarray, start: int, end: int) -> np.ndarray:
    """The rows of a segment's INT_TIMES numbered INTSTART..INTEND: a segment may hold
    only its own rows (as :func:`write_segmented` writes them) or the whole exposure's."""
    if "integration_number" not in (table.dtype.names or ()):
        return table
    n = table["integration_number"]
    return table[(n >= start) & (n <= end)]


def open_exposure(paths_or_glob: str | os.PathLike | Sequence[str | os.PathLike], *,
                  storage_options: dict | None = None) -> Exposure:
    """Open the segments of one exposure (paths, a glob, or a list; URLs and URL patterns
    too, with fsspec ``storage_options``) as one :class:`Exposure`.

    Checks that they are complete (EXSEGNUM 1..EXSEGTOT all present, once),
    contiguous (INTSTART of each is INTEND of the previous plus one, starting
    at 1, and each SCI holds INTEND - INTSTART + 1 integrations) and consistent
    (one kind, one exposure name, equal shapes apart from nints).  A single
    file without segment keywords is an exposure of one segment.
    """
    paths = expand_paths(paths_or_glob, storage_options=storage_options)
    products = [open_product(p, storage_options=storage_options) for p in paths]
    try:
        return _assemble(products)
    except BaseException:
        for p in products:
            p.close()
        raise


def _assemble(products: list[Product]) -> Exposure:
    if not products:
        raise SegmentError("no segment files given")
    keyed: list[tuple[Segment | None, Product]] = [
        (read_segment(p.primary_header, p.path), p) for p in products]
    if len(products) == 1 and keyed[0][0] is None:
        p = products[0]
        return Exposure([p], [(1, p.hdu("SCI").shape[0])])
    missing_keys = [p.path for k, p in keyed if k is None]
    if missing_keys:
        raise SegmentError(f"not segment files (no EXSEGNUM): {', '.join(missing_keys)}")
    kinds = {p.kind for p in products}
    if len(kinds) > 1:
        raise SegmentError(f"segments of different kinds: {sorted(kinds)}")
    bases = set()
    for p in products:
        try:
            bases.add(naming.parse(p.path).base_name)
        except Exception:
            pass
    if len(bases) > 1:
        raise SegmentError(f"segments of different exposures: {sorted(bases)}")
    segs = sorted(((k, p) for k, p in keyed if k is not None), key=lambda kp: kp[0].number)
    total = {k.total for k, _ in segs}
    if len(total) != 1:
        raise SegmentError(f"segments disagree on EXSEGTOT: {sorted(total)}")
    tot = total.pop()
    nums = [k.number for k, _ in segs]
    if len(set(nums)) != len(nums):
        dup = sorted({n for n in nums if nums.count(n) > 1})
        raise SegmentError(f"segment(s) {dup} given more than once")
    absent = sorted(set(range(1, tot + 1)) - set(nums))
    if absent:
        raise SegmentError(f"incomplete exposure: segment(s) {absent} of {tot} missing "
                           f"(have {', '.join(p.path for _, p in segs)})")
    ranges, expected_start, tail = [], 1, None
    for (_, _, start, end), p in segs:
        if start != expected_start:
            raise SegmentError(f"{p.path}: INTSTART={start}, expected {expected_start} "
                               f"(integrations must be contiguous across segments)")
        sci = p.hdu("SCI").shape
        if sci[0] != end - start + 1:
            raise SegmentError(f"{p.path}[SCI,1]: holds {sci[0]} integrations but INTSTART.."
                               f"INTEND is {start}..{end}")
        if tail is not None and sci[1:] != tail:
            raise SegmentError(f"{p.path}[SCI,1]: shape {sci} differs from the previous "
                               f"segment's apart from nints ({tail})")
        tail = sci[1:]
        ranges.append((start, end))
        expected_start = end + 1
    return Exposure([p for _, p in segs], ranges)
