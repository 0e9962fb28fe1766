"""A product's structure against the product specs: which kind fits, and what does not.

:func:`best_structural_match` names the spec a file's extensions fit best (when
neither DATAMODL nor the file name tells the kind); :func:`validate_product`
lists what a product does not match in the spec of its kind.  Both read only
the structure index (names, EXTVERs, HDU types, dtypes, shapes), never data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import specs
from .errors import RampsError

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from .product import Product

__all__ = ["ValidationError", "best_structural_match", "validate_product"]


class ValidationError(RampsError, ValueError):
    """A product does not match the spec of its kind."""


def _by_key(p: "Product") -> dict:
    """(EXTNAME, EXTVER) -> HDUInfo of the extensions, the first of any duplicates."""
    out: dict = {}
    for info in p.hdus[1:]:
        out.setdefault((info.name.upper(), info.ver), info)
    return out


def best_structural_match(p: "Product", pool: tuple[str, ...]) -> str | None:
    """The kind of ``pool`` whose spec ``p``'s structure fits best; None when none fits
    (every required extension present) -- the caller decides what that means."""
    by_key = _by_key(p)
    names = {n for n, _ in by_key}
    sci = by_key.get(("SCI", 1))
    best, best_score = None, None
    for kind in pool:
        spec = specs.PRODUCTS[kind]
        if spec.format != "fits":
            continue
        required = {e.name for e in spec.required}
        if not required <= names:
            continue
        score = len(names & set(spec.names))
        ext = spec.extension("SCI") if "SCI" in spec.names else None
        if sci is not None and ext is not None:
            if ext.accepted_dims and any(d is not None and len(d) == len(sci.shape)
                                         for d in ext.accepted_dims):
                score += 10
            if ext.accepted_dtypes and str(sci.physical_dtype) in ext.accepted_dtypes:
                score += 5
        score -= len(set(spec.names) - names) * 0.1
        if best_score is None or score > best_score:
            best, best_score = kind, score
    return best


def validate_product(p: "Product", strict: bool) -> list[str]:
    problems: list[str] = []
    if p.spec is None:  # a generic product (kind None): no spec to check against
        return problems

    def problem(ext: str | None, text: str) -> None:
        msg = f"{p.path}[{ext}]: {text}" if ext else f"{p.path}: {text}"
        if strict:
            raise ValidationError(msg)
        problems.append(msg)

    by_key = _by_key(p)
    primary = p.hdus[0]
    if primary.kind != "PRIMARY":
        problem("PRIMARY", "first HDU is not a primary HDU")
    elif primary.shape:
        problem("PRIMARY", f"primary HDU has data (NAXIS={len(primary.shape)}); expected NAXIS=0")
    spec = p.spec
    if "SCI" in spec.names:
        if len(p.hdus) < 2 or p.hdus[1].name.upper() != "SCI":
            got = p.hdus[1].name if len(p.hdus) > 1 else "nothing"
            problem("SCI", f"SCI must be HDU 1, found {got!r} there")
    vers = sorted({v for n, v in by_key if n == "SCI"}) or [1]
    if spec.multi_source:
        for name in {n for n, _ in by_key}:
            have = p.versions(name)
            if name != "ASDF" and have != list(range(1, len(have) + 1)):
                problem(name, f"EXTVER set {have} is not 1..{len(have)}")
    for ver in vers if spec.multi_source else [1]:
        axes: dict[str, int] = {}
        for ext in spec.extensions:
            key = (ext.name, ver if spec.multi_source and ext.name != "ASDF" else 1)
            info = by_key.get(key)
            label = f"{ext.name},{key[1]}"
            if info is None:
                # tables the seed lists (GROUP, INT_TIMES) are omitted by stdatamodels
                # when empty, so only a missing image is a problem
                if ext.required and ext.is_image:
                    problem(label, f"required extension missing from this {spec.kind} product")
                continue
            want_type = ext.hdu_type
            if info.kind != want_type:
                problem(label, f"HDU type {info.kind}, expected {want_type}")
                continue
            if not ext.is_image:
                continue
            dt = str(info.physical_dtype)
            if ext.accepted_dtypes and dt not in ext.accepted_dtypes:
                problem(label, f"dtype {dt} (BITPIX={info.bitpix}, BZERO={info.bzero:g}), "
                        f"expected {' or '.join(ext.accepted_dtypes)}")
            dims_ok = [d for d in ext.accepted_dims if d is not None and len(d) == len(info.shape)]
            if ext.accepted_dims and not dims_ok:
                want = " or ".join("(" + ", ".join(map(str, d)) + ")"
                                   for d in ext.accepted_dims if d is not None)
                problem(label, f"{len(info.shape)}-D shape {info.shape}, expected {want}")
                continue
            if not dims_ok:
                continue
            dims = dims_ok[0]
            for axis, size in zip(dims, info.shape):
                if isinstance(axis, int):
                    if size != axis:
                        problem(label, f"axis of size {size}, expected {axis}")
                    continue
                if axis in specs.DERIVED_AXES and "ncols" in axes:
                    base, div = specs.DERIVED_AXES[axis]
                    expect = axes[base] // div
                    if size != expect:
                        problem(label, f"{axis} is {size}, expected {base}/{div} = {expect}")
                    continue
                if axis in axes and axes[axis] != size:
                    problem(label, f"shape {info.shape} is inconsistent with SCI: {axis} is "
                            f"{size} here but {axes[axis]} in an earlier extension")
                axes.setdefault(axis, size)
    return problems
