"""Product conversions: uncal -> ramp streamed file to file, with segments in and out.

The SCI of an uncal (big-endian int16 with BZERO=32768) goes to the ramp's
big-endian float32 through :func:`ramps.kernels.transcode_u16_to_f32be`, one
chunk at a time from the input's memory map into one reused buffer; consumed
input pages are released, and the zero-filled GROUPDQ and ERR are streamed
from one small zero buffer, so memory stays bounded whatever the input size.

The command line that drives these is :mod:`ramps.cli` (``ramps.convert``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from . import kernels, naming
from .product import Product
from .exposure import Exposure, plan_segments, SEGMENT_KEYWORDS, SEGMENT_META
from .fits.write import StreamedArray, write

__all__ = ["OutputJob", "plan_ramp_outputs", "uncal_to_ramp", "ramp_name", "SEGMENT_KEYWORDS"]

MiB = 1 << 20
#: Input bytes transcoded per step.
CHUNK_BYTES = 32 * MiB


@dataclass
class OutputJob:
    """One output file: integrations [start, end) (0-based) of an exposure."""

    path: Path
    start: int
    end: int
    segment: tuple[int, int] | None  # (EXSEGNUM, EXSEGTOT), None for an unsegmented file
    header_from: Product = field(repr=False)


def ramp_name(path: str | os.PathLike, segment: int | None | bool = False,
              product_type: str = "ramp") -> str:
    """The output name: the input's with another product type (and segment when given).

    Names outside the JWST grammar get ``_ramp.fits`` in place of their last
    ``_suffix.fits`` (or appended)."""
    base = os.path.basename(os.fspath(path))
    try:
        parsed = naming.parse(base)
        out = naming.with_product_type(parsed, product_type)
        if segment is not False:
            out = naming.with_segment(out, segment)
        return str(out)
    except Exception:
        stem = base[:-5] if base.endswith(".fits") else base
        head, sep, _ = stem.rpartition("_")
        return f"{head if sep else stem}_{product_type}.fits"


def _ramp_bytes_per_int(p: Product, err: bool) -> int:
    sci = p.hdu("SCI").shape
    plane = math.prod(sci[1:])
    return plane * (4 + 1 + (4 if err else 0))


def plan_ramp_outputs(exposure: Exposure, output_dir: Path, *, merge: bool = False,
                      max_segment_bytes: int | None = None, err: bool = True) -> list[OutputJob]:
    """What files converting an exposure writes: one per input segment (default),
    one for all (``merge``), or new segments under ``max_segment_bytes``."""
    first = exposure.products[0]
    if max_segment_bytes:
        per_int = _ramp_bytes_per_int(first, err)
        fixed = math.prod(first.hdu("SCI").shape[2:]) * 4 + 64 * 2880
        ranges = plan_segments(exposure.nints, per_int, fixed, max_segment_bytes)
        if len(ranges) > 1:
            n = len(ranges)
            return [OutputJob(output_dir / ramp_name(first.path, k), s - 1, e, (k, n), first)
                    for k, (s, e) in enumerate(ranges, 1)]
        merge = True
    if merge or len(exposure.products) == 1 and _seg(first) is None:
        seg = False if _seg(first) is None else None
        return [OutputJob(output_dir / ramp_name(first.path, seg), 0, exposure.nints, None,
                          first)]
    return [OutputJob(output_dir / ramp_name(p.path), s - 1, e,
                      (int(p.primary_header["EXSEGNUM"]), int(p.primary_header["EXSEGTOT"])), p)
            for p, (s, e) in zip(exposure.products, exposure.ranges)]


def _seg(p: Product) -> int | None:
    return p.primary_header.get("EXSEGNUM")


def _pieces(exposure: Exposure, start: int, end: int) -> Iterator[tuple[Product, int, int]]:
    """(segment, first, stop) local integration ranges covering global [start, end)."""
    for p, (s, e) in zip(exposure.products, exposure.ranges):
        lo, hi = max(start, s - 1), min(end, e)
        if lo < hi:
            yield p, lo - (s - 1), hi - (s - 1)


def _sci_stream(exposure: Exposure, start: int, end: int, threads: int | None,
                progress: Callable[[int], None] | None) -> StreamedArray:
    first = exposure.products[0].hdu("SCI")
    plane_bytes = math.prod(first.shape[1:]) * 2
    shape = (end - start,) + tuple(first.shape[1:])

    def chunks() -> Iterator[np.ndarray]:
        buf = np.empty(2 * CHUNK_BYTES, np.uint8)
        for p, lo, hi in _pieces(exposure, start, end):
            info = p.hdu("SCI")
            src = p.source
            pos, stop = info.data_offset + lo * plane_bytes, info.data_offset + hi * plane_bytes
            while pos < stop:
                m = min(CHUNK_BYTES, stop - pos)
                yield kernels.transcode_u16_to_f32be(src.view(pos, m), out=buf[:2 * m],
                                                     threads=threads)
                src.release(pos, m)
                if progress is not None:
                    progress(m)
                pos += m

    return StreamedArray(shape, np.float32, chunks)


def _zeros(shape: tuple[int, ...], dtype: Any) -> StreamedArray:
    """A zero-filled array streamed from one small buffer (zero bytes encode 0 for
    float and for BZERO-free integer types)."""
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize

    def chunks() -> Iterator[np.ndarray]:
        buf = np.zeros(min(nbytes, 16 * MiB), np.uint8)
        for i in range(0, nbytes, buf.size):
            yield buf[:min(buf.size, nbytes - i)]

    return StreamedArray(shape, dtype, chunks)


def _int_slices(exposure: Exposure, name: str, start: int, end: int, dtype: Any) -> np.ndarray:
    parts = [p.lazy(name, dtype=dtype)[lo:hi] for p, lo, hi in _pieces(exposure, start, end)]
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def _int_times(exposure: Exposure, start: int, end: int) -> Any:
    rows = []
    for p in exposure.products:
        if ("INT_TIMES", 1) in p:
            rows.append(p["INT_TIMES"])
    if not rows:
        return None
    table = np.concatenate(rows) if len(rows) > 1 else rows[0]
    if "integration_number" in (table.dtype.names or ()):
        keep = (table["integration_number"] > start) & (table["integration_number"] <= end)
        return table[keep]
    return table


def uncal_to_ramp(exposure: Exposure, job: OutputJob, *, err: bool = True,
                  overwrite: bool = False, threads: int | None = None,
                  progress: Callable[[int], None] | None = None) -> Path:
    """Write one ramp file for integrations [job.start, job.end) of an uncal exposure.

    SCI float32 (streamed), PIXELDQ uint32 and GROUPDQ uint8 zero-filled, ERR
    float32 zero-filled unless ``err=False`` (the layout of stdatamodels >= 3),
    ZEROFRAME and REFOUT as float32, GROUP and INT_TIMES carried over, the
    primary header and the metadata tree carried over with model_type RampModel.
    """
    first = exposure.products[0]
    sci = first.hdu("SCI")
    if sci.physical_dtype != np.uint16 or len(sci.shape) != 4:
        raise ValueError(f"{first.path}[SCI,1]: expected 4-D uint16 raw counts (BITPIX=16, "
                         f"BZERO=32768), found {sci.physical_dtype} shape {sci.shape}")
    n = job.end - job.start
    tail = tuple(sci.shape[1:])
    arrays: dict[str, Any] = {
        "SCI": _sci_stream(exposure, job.start, job.end, threads, progress),
        "PIXELDQ": np.zeros(tail[1:], np.uint32),
        "GROUPDQ": _zeros((n,) + tail, np.uint8),
    }
    if err:
        arrays["ERR"] = _zeros((n,) + tail, np.float32)
    if ("ZEROFRAME", 1) in first:
        arrays["ZEROFRAME"] = _int_slices(exposure, "ZEROFRAME", job.start, job.end, np.float32)
    if ("REFOUT", 1) in first:
        arrays["REFOUT"] = _int_slices(exposure, "REFOUT", job.start, job.end, np.float32)
    if ("GROUP", 1) in first:
        arrays["GROUP"] = first["GROUP"]
    int_times = _int_times(exposure, job.start, job.end)
    if int_times is not None:
        arrays["INT_TIMES"] = int_times
    header = job.header_from.primary_header.copy()
    for key in SEGMENT_KEYWORDS:
        header.remove(key, ignore_missing=True)
    if job.segment is not None:
        header["EXSEGNUM"], header["EXSEGTOT"] = job.segment
        header["INTSTART"], header["INTEND"] = job.start + 1, job.end
    meta = dict(job.header_from.meta)
    meta["model_type"] = "RampModel"
    if job.segment is not None:
        exp = dict(meta.get("exposure", {}))
        exp.update(segment_number=job.segment[0], segment_total=job.segment[1],
                   integration_start=job.start + 1, integration_end=job.end)
        meta["exposure"] = exp
    else:
        exp = dict(meta.get("exposure", {}))
        for k in SEGMENT_META:
            exp.pop(k, None)
        meta["exposure"] = exp
    return write(job.path, "ramp", arrays, header=header, meta={"meta": meta},
                 overwrite=overwrite, threads=threads)
