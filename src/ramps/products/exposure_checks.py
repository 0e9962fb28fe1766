"""The checks that segments make one consistent exposure, beyond each file's own.

:meth:`ramps.products.exposure.Exposure.validate` runs each segment's validation, then
:func:`consistency_problems`: what only the segments together can get wrong.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ramps.products.segments import SEGMENT_META, read_segment

__all__ = ["consistency_problems"]


def consistency_problems(exp: Any) -> list[str]:
    """The problems of an :class:`~ramps.products.exposure.Exposure` as a whole, each naming the
    file and extension: segments of one kind with the same extensions; INTSTART..INTEND
    contiguous from 1; every extension along integrations holding its segment's
    INTSTART..INTEND with the first segment's dtype and other axes, every other
    extension equal in dtype and shape to the first segment's; INT_TIMES numbered
    1..nints; the segment values of ``meta.exposure`` equal to the header keywords."""
    problems: list[str] = []
    first = exp.products[0]
    layout = [(e.name, e.ver, e.type) for e in first.extensions]
    expected = 1
    for p, (start, end) in zip(exp.products, exp.ranges):
        if p.kind != first.kind:
            problems.append(f"{p.path}: a {p.kind} product among {first.kind} segments")
        if start != expected:
            problems.append(f"{p.path}: INTSTART={start}, expected {expected}")
        expected = end + 1
        have = [(e.name, e.ver, e.type) for e in p.extensions]
        if have != layout:
            problems.append(f"{p.path}: extensions {_names(have)} differ from "
                            f"{first.path}'s {_names(layout)}")
        for e in first.extensions[1:]:
            if (e.name, e.ver) not in p or e.name == "ASDF":
                continue
            problems.extend(_extension_problems(exp, p, e, end - start + 1))
        problems.extend(_meta_problems(p))
    if ("INT_TIMES", 1) in first:
        problems.extend(_int_times_problems(exp))
    return problems


def _names(layout: list) -> str:
    return "[" + ", ".join(f"{n},{v}" for n, v, _ in layout) + "]"


def _extension_problems(exp: Any, p: Any, e: Any, count: int) -> list[str]:
    mine, ref = p.hdu(e.name, e.ver), exp.products[0].hdu(e.name, e.ver)
    label = f"{p.path}[{e.name},{e.ver}]"
    if mine.kind != ref.kind:
        return [f"{label}: a {mine.kind}, the first segment's is a {ref.kind}"]
    if mine.kind not in ("IMAGE", "PRIMARY"):
        return []
    out = []
    if mine.physical_dtype != ref.physical_dtype:
        out.append(f"{label}: dtype {mine.physical_dtype}, the first segment's is "
                   f"{ref.physical_dtype}")
    if exp.along_nints(e.name, e.ver):
        if not mine.shape or mine.shape[0] != count:
            out.append(f"{label}: shape {mine.shape} holds "
                       f"{mine.shape[0] if mine.shape else 0} integrations, INTSTART..INTEND "
                       f"{count}")
        if tuple(mine.shape[1:]) != tuple(ref.shape[1:]):
            out.append(f"{label}: shape {mine.shape} differs from the first segment's "
                       f"{ref.shape} apart from nints")
    elif tuple(mine.shape) != tuple(ref.shape):
        out.append(f"{label}: shape {mine.shape} differs from the first segment's {ref.shape}"
                   " (it is not split along integrations, so every segment holds it whole)")
    return out


def _meta_problems(p: Any) -> list[str]:
    seg = read_segment(p.primary_header, p.path)
    exposure = (p.meta or {}).get("exposure") or {}
    out = []
    for name, value in zip(SEGMENT_META, seg or ()):
        if name in exposure and exposure[name] != value:
            out.append(f"{p.path}: meta.exposure.{name} is {exposure[name]}, the primary "
                       f"header says {value}")
    return out


def _int_times_problems(exp: Any) -> list[str]:
    try:
        rows = exp["INT_TIMES"]
    except Exception as e:  # segments whose tables do not concatenate
        return [f"{exp.paths[0]}[INT_TIMES,1]: the segments' rows do not join: {e}"]
    if "integration_number" not in (rows.dtype.names or ()):
        return []
    got = np.asarray(rows["integration_number"])
    want = np.arange(1, exp.nints + 1)
    if got.shape != want.shape or not np.array_equal(got, want):
        head = ", ".join(map(str, got[:8].tolist())) + (" ..." if got.size > 8 else "")
        return [f"{exp.paths[0]}[INT_TIMES,1]: integration_number over the segments is "
                f"[{head}] ({got.size} rows), expected 1..{exp.nints}"]
    return []
