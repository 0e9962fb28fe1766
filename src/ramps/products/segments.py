"""Splitting one exposure into ``-segNNN`` files: the segment keywords, the plan, the writer.

A TSO exposure too large for one file (JWST keeps each under 2 GB) is written as
segments.  Each segment's primary header carries the four keywords of
:data:`SEGMENT_KEYWORDS`, and its ``meta.exposure`` the same four values under
the names of :data:`SEGMENT_META`: this module is the one place that spells
them.  :mod:`ramps.products.exposure` opens segments again as one product.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from ramps.errors import RampsError

__all__ = ["DEFAULT_MAX_SEGMENT_BYTES", "SEGMENT_KEYWORDS", "SEGMENT_META", "Segment",
           "SegmentError", "per_integration", "plan_segments", "read_segment",
           "segment_header", "segment_meta"]

#: Just under 2 GB, the JWST limit for one segment file (with room for headers).
DEFAULT_MAX_SEGMENT_BYTES = 2_000_000_000

#: Primary-header keywords of a segment file, in the order of :class:`Segment`.
SEGMENT_KEYWORDS = ("EXSEGNUM", "EXSEGTOT", "INTSTART", "INTEND")
#: The same four values under ``meta.exposure`` of the data model.
SEGMENT_META = ("segment_number", "segment_total", "integration_start", "integration_end")


class SegmentError(RampsError, ValueError):
    """Segments that do not make one complete, contiguous, consistent exposure."""


class Segment(NamedTuple):
    """Where one segment file sits in its exposure."""

    number: int  #: EXSEGNUM, 1..total
    total: int  #: EXSEGTOT
    start: int  #: INTSTART: the first integration held, 1-based
    end: int  #: INTEND: the last integration held, inclusive


def read_segment(header: Mapping[str, Any], path: str = "") -> Segment | None:
    """The segment keywords of a primary header (None when EXSEGNUM is absent);
    :class:`SegmentError` naming ``path`` when some are missing or not integers."""
    if SEGMENT_KEYWORDS[0] not in header:
        return None
    try:
        return Segment(*(int(header[k]) for k in SEGMENT_KEYWORDS))
    except (KeyError, ValueError, TypeError) as e:
        raise SegmentError(f"{path}: incomplete segment keywords "
                           f"({', '.join(SEGMENT_KEYWORDS)}): {e}") from None


def segment_header(header: Any, segment: Segment | None) -> Any:
    """A copy of an astropy primary Header with the segment keywords of ``segment``, or
    without any (``None``: a whole exposure in one file)."""
    from astropy.io import fits

    h = fits.Header(header) if header is not None else fits.Header()
    for key in SEGMENT_KEYWORDS:
        h.remove(key, ignore_missing=True, remove_all=True)
    if segment is not None:
        for key, value in zip(SEGMENT_KEYWORDS, segment):
            h[key] = value
    return h


def segment_meta(meta: Mapping[str, Any] | None, segment: Segment | None,
                 nints: int | None = None) -> dict:
    """A copy of a ``meta`` tree (the mapping holding ``exposure``) whose
    ``exposure`` has the segment values of ``segment``, or none (``None``), and
    ``nints`` when given.  The other branches are shared, not copied."""
    out = dict(meta or {})
    exposure = {k: v for k, v in dict(out.get("exposure") or {}).items()
                if k not in SEGMENT_META}
    if segment is not None:
        exposure.update(zip(SEGMENT_META, segment))
    if nints is not None:
        exposure["nints"] = int(nints)
    if exposure or "exposure" in out:
        out["exposure"] = exposure
    return out


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


def per_integration(spec: Any, name: str) -> bool | None:
    """Whether extension ``name`` of a product spec runs along nints (axis 0); None
    when the spec does not list it (or there is no spec)."""
    try:
        ext = spec.extension(name)
    except (KeyError, AttributeError):
        return None
    return any(d and d[0] == "nints" for d in ext.accepted_dims if d is not None)
