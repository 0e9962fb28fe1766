"""TSO segments: one exposure split across ``-segNNN`` files, each under 2 GB.

Each segment's primary header carries EXSEGNUM (1..), EXSEGTOT, and INTSTART /
INTEND, the 1-based inclusive range of integrations it holds.
:func:`open_exposure` gathers the segments of one exposure into an
:class:`Exposure` whose integrations run across all of them;
:func:`plan_segments` splits an integration count under a byte limit.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from . import naming
from .errors import RampsError
from .product import Product, open as open_product

__all__ = ["DEFAULT_MAX_SEGMENT_BYTES", "Exposure", "SegmentError", "expand_paths",
           "merge_segments", "open_exposure", "plan_segments", "write_segmented"]

#: Just under 2 GB, the JWST limit for one segment file (with room for headers).
DEFAULT_MAX_SEGMENT_BYTES = 2_000_000_000


class SegmentError(RampsError, ValueError):
    """Segments that do not make one complete, contiguous, consistent exposure."""


def expand_paths(paths_or_glob: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """Paths from a path, a glob pattern, or a list of either (sorted, de-duplicated)."""
    items = [paths_or_glob] if isinstance(paths_or_glob, (str, os.PathLike)) else list(
        paths_or_glob)
    out: list[Path] = []
    for item in items:
        s = os.fspath(item)
        matches = sorted(glob.glob(s)) if glob.has_magic(s) else [s]
        if not matches:
            raise FileNotFoundError(f"no file matches {s!r}")
        out.extend(Path(m) for m in matches)
    return list(dict.fromkeys(out))


def plan_segments(nints: int, bytes_per_int: int, fixed_bytes: int = 0,
                  max_segment_bytes: int = DEFAULT_MAX_SEGMENT_BYTES) -> list[tuple[int, int]]:
    """Split ``nints`` integrations into (INTSTART, INTEND) ranges, 1-based inclusive,
    so that each segment's ``fixed_bytes + n * bytes_per_int`` stays under the limit.
    One range when everything fits."""
    room = max_segment_bytes - fixed_bytes
    if bytes_per_int <= 0 or nints * bytes_per_int <= room:
        return [(1, nints)]
    per = room // bytes_per_int
    if per < 1:
        raise ValueError(f"one integration ({bytes_per_int} bytes, plus {fixed_bytes} fixed) "
                         f"does not fit in a segment of {max_segment_bytes} bytes")
    return [(s, min(s + per - 1, nints)) for s in range(1, nints + 1, per)]


def _seg_keys(p: Product) -> tuple[int, int, int, int] | None:
    h = p.primary_header
    if "EXSEGNUM" not in h:
        return None
    try:
        return (int(h["EXSEGNUM"]), int(h["EXSEGTOT"]), int(h["INTSTART"]), int(h["INTEND"]))
    except (KeyError, ValueError, TypeError) as e:
        raise SegmentError(f"{p.path}: incomplete segment keywords "
                           f"(EXSEGNUM, EXSEGTOT, INTSTART, INTEND): {e}") from None


@dataclass
class Exposure:
    """The segments of one exposure, opened; integrations run across all of them."""

    products: list[Product]
    ranges: list[tuple[int, int]]  # (INTSTART, INTEND) per segment, 1-based inclusive

    @property
    def kind(self) -> str:
        return self.products[0].kind

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.products]

    @property
    def nints(self) -> int:
        return self.ranges[-1][1]

    def shape(self, name: str = "SCI") -> tuple[int, ...]:
        """The shape of extension ``name`` over the whole exposure."""
        return (self.nints,) + tuple(self.products[0].hdu(name).shape[1:])

    def locate(self, integration: int) -> tuple[Product, int]:
        """(segment product, index within it) of a 0-based integration."""
        if not 0 <= integration < self.nints:
            raise IndexError(f"integration {integration} out of range 0..{self.nints - 1}")
        for p, (start, end) in zip(self.products, self.ranges):
            if integration < end:
                return p, integration - (start - 1)
        raise AssertionError("unreachable")

    def integration(self, i: int, name: str = "SCI", dtype: Any = np.float32) -> np.ndarray:
        """One integration of ``name`` (0-based, across segments), decoded."""
        p, j = self.locate(i)
        return p.lazy(name, dtype=dtype)[j]

    def read(self, name: str = "SCI", *, dtype: Any = None, out: np.ndarray | None = None,
             threads: int | None = None) -> np.ndarray:
        """A per-integration extension of the whole exposure in one array."""
        first = self.products[0]
        dtype = np.dtype(dtype) if dtype is not None else first.hdu(name).physical_dtype
        shape = self.shape(name)
        if out is None:
            out = np.empty(shape, dtype)
        elif out.shape != shape:
            raise ValueError(f"out has shape {out.shape}, the exposure's {name} is {shape}")
        for p, (start, end) in zip(self.products, self.ranges):
            p.read(name, dtype=dtype, out=out[start - 1:end], threads=threads)
        return out

    def close(self) -> None:
        for p in self.products:
            p.close()

    def __enter__(self) -> "Exposure":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def to_dask(self, name: str = "SCI", *, ver: int = 1, dtype: Any = None, chunks: Any = None):
        """An extension across the segments as a lazy dask array (ramps.dask_arrays.to_dask)."""
        from .dask_arrays import to_dask
        return to_dask(self, name, ver=ver, dtype=dtype, chunks=chunks)


def open_exposure(paths_or_glob: str | os.PathLike | Sequence[str | os.PathLike]) -> Exposure:
    """Open the segments of one exposure (paths, a glob, or a list) as one :class:`Exposure`.

    Checks that they are complete (EXSEGNUM 1..EXSEGTOT all present, once),
    contiguous (INTSTART of each is INTEND of the previous plus one, starting
    at 1, and each SCI holds INTEND - INTSTART + 1 integrations) and consistent
    (one kind, one exposure name, equal shapes apart from nints).  A single
    file without segment keywords is an exposure of one segment.
    """
    paths = expand_paths(paths_or_glob)
    products = [open_product(p) for p in paths]
    try:
        return _assemble(products)
    except BaseException:
        for p in products:
            p.close()
        raise


def _assemble(products: list[Product]) -> Exposure:
    if not products:
        raise SegmentError("no segment files given")
    keyed = [(_seg_keys(p), p) for p in products]
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
    keyed.sort(key=lambda kp: kp[0][0])
    total = {k[1] for k, _ in keyed}
    if len(total) != 1:
        raise SegmentError(f"segments disagree on EXSEGTOT: {sorted(total)}")
    tot = total.pop()
    nums = [k[0] for k, _ in keyed]
    if len(set(nums)) != len(nums):
        dup = sorted({n for n in nums if nums.count(n) > 1})
        raise SegmentError(f"segment(s) {dup} given more than once")
    absent = sorted(set(range(1, tot + 1)) - set(nums))
    if absent:
        raise SegmentError(f"incomplete exposure: segment(s) {absent} of {tot} missing "
                           f"(have {', '.join(p.path for _, p in keyed)})")
    ranges, expected_start, tail = [], 1, None
    for (num, _, start, end), p in keyed:
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
    return Exposure([p for _, p in keyed], ranges)


def _per_integration(spec: Any, name: str) -> bool:
    """Whether extension ``name`` of a product spec runs along nints (axis 0)."""
    try:
        ext = spec.extension(name)
    except KeyError:
        return False
    return any(d and d[0] == "nints" for d in ext.accepted_dims if d is not None)


def write_segmented(path: str | os.PathLike, kind: str, arrays: dict, *, header: Any = None,
                    meta: dict | None = None,
                    max_segment_bytes: int = DEFAULT_MAX_SEGMENT_BYTES,
                    overwrite: bool = False, checksum: bool = False) -> list[Path]:
    """Write a product, split into ``-segNNN`` files when it exceeds ``max_segment_bytes``.

    Extensions that run along integrations (SCI, GROUPDQ, ERR, ZEROFRAME ...
    by the spec, and INT_TIMES rows) are split; the others (PIXELDQ ...) are
    repeated in each segment.  Each segment gets EXSEGNUM, EXSEGTOT, INTSTART
    and INTEND in its primary header (and the matching meta.exposure entries)
    and the name ``path`` with ``-segNNN`` (see :mod:`ramps.naming`).  A product
    that fits is written as one file at ``path``.  Returns the paths written.
    """
    from astropy.io import fits

    from .specs import get_spec
    from .fits.write import write

    spec = get_spec(kind)
    nints = int(np.shape(arrays["SCI"])[0])
    per_int = fixed = 0
    for key, value in arrays.items():
        name = key[0] if isinstance(key, tuple) else key
        nbytes = int(np.prod(np.shape(value))) * np.dtype(getattr(value, "dtype", "u1")).itemsize
        if _per_integration(spec, name) or name == "INT_TIMES":
            per_int += nbytes // max(nints, 1)
        else:
            fixed += nbytes
    ranges = plan_segments(nints, per_int, fixed + 64 * 2880, max_segment_bytes)
    if len(ranges) == 1:
        return [write(path, kind, arrays, header=header, meta=meta, overwrite=overwrite,
                      checksum=checksum)]
    out = []
    folder, name = Path(path).parent, Path(path).name
    for k, (start, end) in enumerate(ranges, 1):
        part = {}
        for key, value in arrays.items():
            ext = key[0] if isinstance(key, tuple) else key
            if ext == "INT_TIMES" and "integration_number" in (getattr(value, "dtype", None)
                                                                 and value.dtype.names or ()):
                sel = (value["integration_number"] >= start) & (value["integration_number"] <= end)
                part[key] = value[sel]
            elif _per_integration(spec, ext):
                part[key] = value[start - 1:end]
            else:
                part[key] = value
        h = fits.Header(header) if header is not None else fits.Header()
        h["EXSEGNUM"], h["EXSEGTOT"], h["INTSTART"], h["INTEND"] = k, len(ranges), start, end
        m = {**(meta or {})}
        m["meta"] = {**m.get("meta", {})}
        m["meta"]["exposure"] = {**m["meta"].get("exposure", {}), "segment_number": k,
                                 "segment_total": len(ranges), "integration_start": start,
                                 "integration_end": end}
        try:
            seg_name = str(naming.with_segment(name, k))
        except Exception:
            stem = name[:-5] if name.endswith(".fits") else name
            seg_name = f"{stem}-seg{k:03d}.fits"
        out.append(write(folder / seg_name, kind, part, header=h, meta=m, overwrite=overwrite,
                         checksum=checksum))
    return out


def merge_segments(paths_or_glob: str | os.PathLike | Sequence[str | os.PathLike],
                   output: str | os.PathLike, *, overwrite: bool = False,
                   checksum: bool = False) -> Path:
    """Merge the segments of one exposure into one file, without decoding the data.

    The per-integration extensions are streamed segment after segment as stored
    (bytes copied, never converted), the others taken from segment 1, INT_TIMES
    rows concatenated; the segment keywords are dropped."""
    from .fits.write import StreamedArray, write

    with open_exposure(paths_or_glob) as exp:
        first = exp.products[0]
        spec = first.spec
        arrays: dict[Any, Any] = {}
        for e in first.extensions[1:]:
            if e.name == "ASDF":
                continue
            info = first.hdu(e.name, e.ver)
            if e.type == "IMAGE" and _per_integration(spec, e.name) and info.bscale == 1.0:
                arrays[(e.name, e.ver)] = _concat_stream(exp, e.name, e.ver, StreamedArray)
            elif e.name == "INT_TIMES":
                arrays[(e.name, e.ver)] = np.concatenate([p[e.name, e.ver] for p in exp.products])
            elif e.type == "IMAGE":
                arrays[(e.name, e.ver)] = first.read(e.name, e.ver)
            else:
                arrays[(e.name, e.ver)] = first[e.name, e.ver]
        header = first.primary_header.copy()
        for key in ("EXSEGNUM", "EXSEGTOT", "INTSTART", "INTEND"):
            header.remove(key, ignore_missing=True)
        meta = dict(first.meta)
        exp_meta = {k: v for k, v in dict(meta.get("exposure", {})).items()
                    if k not in ("segment_number", "segment_total", "integration_start",
                                 "integration_end")}
        meta["exposure"] = exp_meta
        return write(output, first.kind, arrays, header=header, meta={"meta": meta},
                     overwrite=overwrite, checksum=checksum)


def _concat_stream(exp: Exposure, name: str, ver: int, streamed: Any) -> Any:
    infos = [p.hdu(name, ver) for p in exp.products]
    shape = (sum(i.shape[0] for i in infos),) + tuple(infos[0].shape[1:])
    step = 32 << 20

    def chunks():
        for p, info in zip(exp.products, infos):
            for off in range(0, info.data_size, step):
                m = min(step, info.data_size - off)
                yield p.source.view(info.data_offset + off, m)
                p.source.release(info.data_offset + off, m)

    return streamed(shape, infos[0].physical_dtype, chunks)
