"""Product conversions: uncal -> ramp streamed file to file, with segments in and out.

The SCI of an uncal (big-endian int16 with BZERO=32768) goes to the ramp's
big-endian float32 through :func:`ramps.kernels.transcode_u16_to_f32be`, one
chunk at a time from the input's memory map into one reused buffer; consumed
input pages are released, and the zero-filled GROUPDQ and ERR are streamed
from one small zero buffer, so memory stays bounded whatever the input size.

The command line that drives these is :mod:`ramps.convert.cli` (``ramps.convert``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ramps import kernels, naming
from ramps.errors import FormatError
from ramps.fits.cards import checked_header
from ramps.fits.write import StreamedArray, write
from ramps.products.exposure import Exposure
from ramps.products.segments import SEGMENT_KEYWORDS, SEGMENT_META, plan_segments
from ramps.products.fits import Product
from ramps.products.roles import where

__all__ = [
    "SEGMENT_KEYWORDS",
    "OutputJob",
    "alone",
    "plan_ramp_outputs",
    "ramp_name",
    "uncal_to_ramp",
]

MiB = 1 << 20
#: Input bytes transcoded per step.
CHUNK_BYTES = 32 * MiB


def alone(p: Product) -> Exposure:
    """One file converted on its own, as an :class:`~ramps.products.exposure.Exposure` of
    that file.  A segment keeps its INTSTART..INTEND as its range (the pipeline processes
    segments one at a time): the other segments of its exposure are neither needed nor
    checked, as :func:`~ramps.products.exposure.open_exposure` would check them."""
    n = p.hdu("SCI").shape[0] if p.hdu("SCI").shape else 0
    h = p.primary_header
    if "EXSEGNUM" not in h:
        return Exposure([p], [(1, n)])
    try:  # EXSEGTOT is not needed here (stdatamodels opens a segment without it too)
        start, end = int(h["INTSTART"]), int(h["INTEND"])
    except (KeyError, ValueError, TypeError) as e:
        raise FormatError(p.path, f"a segment (EXSEGNUM) needs INTSTART and INTEND to be "
                                  f"converted on its own: {e}", "PRIMARY") from None
    if end - start + 1 != n:
        raise FormatError(p.path, f"holds {n} integrations but INTSTART..INTEND is "
                                  f"{start}..{end}", "SCI,1")
    return Exposure([p], [(start, end)])


@dataclass
class OutputJob:
    """One output file: integrations [start, end) (0-based, over the exposure)."""

    path: Path
    start: int
    end: int
    segment: tuple[int, int] | None  # (EXSEGNUM, EXSEGTOT), None for an unsegmented file
    header_from: Product = field(repr=False)
    #: the input files whose integrations go into this output
    inputs: list[str] = field(default_factory=list)


def ramp_name(path: str | os.PathLike, segment: int | None | bool = False,
              product_type: str = "ramp") -> str:
    """The output name: the input's with another product type (and segment when given:
    ``None`` removes it, ``False`` leaves the name's as it is).

    Names outside the JWST grammar get ``_ramp.fits`` in place of their last
    ``_suffix.fits`` (or appended); segments are named by the one rule of
    :func:`ramps.naming.segment_name`, so distinct segments never share a name."""
    base = os.path.basename(os.fspath(path))
    try:
        out = naming.with_product_type(base, product_type)
    except naming.FileNameError:
        stem = base.removesuffix(".fits")
        head, sep, _ = stem.rpartition("_")
        out = f"{head if sep else stem}_{product_type}.fits"
    return out if segment is False else naming.segment_name(out, segment)


def _ramp_bytes_per_int(p: Product, err: bool) -> int:
    sci = p.hdu("SCI").shape
    plane = math.prod(sci[1:])
    return plane * (4 + 1 + (4 if err else 0))


def plan_ramp_outputs(exposure: Exposure, output_dir: Path, *, merge: bool = False,
                      max_segment_bytes: int | None = None, err: bool = False) -> list[OutputJob]:
    """What files converting an exposure writes: one per input segment (default),
    one for all (``merge``), or new ``-segNNN`` segments under ``max_segment_bytes``
    (always named apart, whatever the input's name)."""
    first = exposure.products[0]
    lo, hi = exposure.ranges[0][0] - 1, exposure.ranges[-1][1]
    if max_segment_bytes:
        per_int = _ramp_bytes_per_int(first, err)
        fixed = math.prod(first.hdu("SCI").shape[2:]) * 4 + 64 * 2880
        ranges = plan_segments(hi - lo, per_int, fixed, max_segment_bytes)
        if len(ranges) > 1:
            n = len(ranges)
            return [_job(exposure, output_dir / ramp_name(first.path, k), lo + s - 1, lo + e,
                         (k, n), first) for k, (s, e) in enumerate(ranges, 1)]
        merge = True
    if merge or len(exposure.products) == 1 and _seg(first) is None:
        seg = False if _seg(first) is None else None
        return [_job(exposure, output_dir / ramp_name(first.path, seg), lo, hi, None, first)]
    jobs = []
    for p, (s, e) in zip(exposure.products, exposure.ranges):
        tot = p.primary_header.get("EXSEGTOT")  # a lone segment may lack it: kept absent
        num, tot = int(p.primary_header["EXSEGNUM"]), None if tot is None else int(tot)
        jobs.append(_job(exposure, output_dir / ramp_name(p.path, num), s - 1, e, (num, tot), p))
    return jobs


def _job(exposure: Exposure, path: Path, start: int, end: int,
         segment: tuple[int, int] | None, header_from: Product) -> OutputJob:
    inputs = [p.path for p, _, _ in _pieces(exposure, start, end)]
    return OutputJob(path, start, end, segment, header_from, inputs or [header_from.path])


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
            if info.zimage:  # tiles, not raw counts: astropy decompresses, then big-endian
                data = p.read(info.index, integrations=slice(lo, hi), dtype=np.float32)
                yield data.astype(">f4").view(np.uint8).reshape(-1)
                if progress is not None:
                    progress((hi - lo) * plane_bytes)
                continue
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
        for i in range(0, nbytes, max(buf.size, 1)):
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


def uncal_to_ramp(exposure: Exposure, job: OutputJob, *, err: bool = False,
                  overwrite: bool = False, threads: int | None = None,
                  progress: Callable[[int], None] | None = None) -> Path:
    """Write one ramp file for integrations [job.start, job.end) of an uncal exposure.

    SCI float32 (streamed), PIXELDQ uint32 and GROUPDQ uint8 zero-filled, no ERR
    (the layout of today's stdatamodels) unless ``err=True`` (the seed table's zero ERR),
    ZEROFRAME and REFOUT as float32, GROUP and INT_TIMES carried over, the
    primary header and the metadata tree carried over with model_type RampModel.
    """
    first = exposure.products[0]
    sci = first.hdu("SCI")
    if sci.physical_dtype != np.uint16 or len(sci.shape) != 4:
        raise FormatError(first.path, f"expected 4-D uint16 raw counts (BITPIX=16, BZERO=32768), "
                          f"found {sci.physical_dtype} shape {sci.shape}", sci.label)
    if 0 in sci.shape:
        raise FormatError(first.path, f"SCI has shape {sci.shape}: no counts to convert "
                          "(an axis of length 0)", sci.label)
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
    header = checked_header(job.header_from.primary_header.copy(), where(job.header_from))
    for key in SEGMENT_KEYWORDS:
        header.remove(key, ignore_missing=True)
    if job.segment is not None:
        header["EXSEGNUM"] = job.segment[0]
        if job.segment[1] is not None:
            header["EXSEGTOT"] = job.segment[1]
        header["INTSTART"], header["INTEND"] = job.start + 1, job.end
    meta = dict(job.header_from.meta)
    meta["model_type"] = "RampModel"
    if job.segment is not None:
        exp = dict(meta.get("exposure", {}))
        exp.update(segment_number=job.segment[0], integration_start=job.start + 1,
                   integration_end=job.end)
        if job.segment[1] is not None:
            exp["segment_total"] = job.segment[1]
        meta["exposure"] = exp
    else:
        exp = dict(meta.get("exposure", {}))
        for k in SEGMENT_META:
            exp.pop(k, None)
        meta["exposure"] = exp
    return write(job.path, "ramp", arrays, header=header, meta={"meta": meta},
                 overwrite=overwrite, threads=threads)
