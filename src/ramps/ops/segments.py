"""Segments of one exposure, written and merged: :func:`write_segmented` splits a product
into ``-segNNN`` files under a size, :func:`merge_segments` joins an exposure's segments
into one file without decoding its data (the segment keywords and plans are in
:mod:`ramps.products.segments`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ramps import naming
from ramps.fits.index import BLOCK
from ramps.fits.write import StreamedArray, write
from ramps.kernels.blocks import BLOCK_BYTES
from ramps.ops.copy import copy_product
from ramps.products.exposure import Exposure, open_exposure
from ramps.products.segments import (
    DEFAULT_MAX_SEGMENT_BYTES,
    Segment,
    per_integration,
    plan_segments,
    segment_header,
    segment_meta,
)
from ramps.specs import get_spec

__all__ = ["merge_segments", "write_segmented"]


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
    spec = get_spec(kind)
    nints = int(np.shape(arrays["SCI"])[0])
    per_int = fixed = 0
    for key, value in arrays.items():
        name = key[0] if isinstance(key, tuple) else key
        nbytes = int(np.prod(np.shape(value))) * np.dtype(getattr(value, "dtype", "u1")).itemsize
        if per_integration(spec, name) or name == "INT_TIMES":
            per_int += nbytes // max(nints, 1)
        else:
            fixed += nbytes
    ranges = plan_segments(nints, per_int, fixed + 64 * BLOCK, max_segment_bytes)
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
            elif per_integration(spec, ext):
                part[key] = value[start - 1:end]
            else:
                part[key] = value
        segment = Segment(k, len(ranges), start, end)
        m = {**(meta or {})}
        m["meta"] = segment_meta(m.get("meta"), segment)
        out.append(write(folder / naming.segment_name(name, k), kind, part, header=segment_header(header, segment),
                         meta=m, overwrite=overwrite, checksum=checksum))
    return out


def merge_segments(paths_or_glob: str | os.PathLike | Sequence[str | os.PathLike],
                   output: str | os.PathLike, *, overwrite: bool = False,
                   checksum: bool = False) -> Path:
    """Merge the segments of one exposure into one file, without decoding the data.

    The per-integration extensions are streamed segment after segment as stored
    (bytes copied, never converted), the others taken from segment 1, INT_TIMES
    rows concatenated; the header and metadata are the exposure's (no segment
    keywords, nints of the whole)."""
    with open_exposure(paths_or_glob) as exp:
        first = exp.products[0]
        streamed = {(e.name, e.ver): _concat_stream(exp, e.name, e.ver, StreamedArray)
                    for e in first.extensions[1:]
                    if e.type == "IMAGE" and exp.along_nints(e.name, e.ver)
                    and first.hdu(e.name, e.ver).bscale == 1.0
                    and not any(q.hdu(e.name, e.ver).zimage for q in exp.products)}  # tiles
        return copy_product(exp, output, streamed, overwrite=overwrite, checksum=checksum)


def _concat_stream(exp: Exposure, name: str, ver: int, streamed: Any) -> Any:
    infos = [p.hdu(name, ver) for p in exp.products]
    shape = (sum(i.shape[0] for i in infos),) + tuple(infos[0].shape[1:])
    step = BLOCK_BYTES

    def chunks():
        for p, info in zip(exp.products, infos):
            for off in range(0, info.data_size, step):
                m = min(step, info.data_size - off)
                yield p.source.view(info.data_offset + off, m)
                p.source.release(info.data_offset + off, m)

    return streamed(shape, infos[0].physical_dtype, chunks)
