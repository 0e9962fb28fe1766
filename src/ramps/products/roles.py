"""Arrays by role, whatever the file format.

The operations on products (:mod:`ramps.ops.quality`) name arrays by their role, as the
JWST FITS extensions are named: ``SCI``, ``ERR``, ``DQ``, ``PIXELDQ``, ``GROUPDQ``,
``VAR_POISSON``, ``VAR_RNOISE``, ``VAR_FLAT``.  A Roman ASDF product keeps the same
arrays under its tree names (``data``, ``var_poisson``, ``groupdq`` ...).  :data:`NAMES`
is the one table of role -> name per format (``p.format``); :func:`array_name` gives the
name a product uses for a role, so an operation asks ``p.read(array_name(p, "ERR"))``
and runs on either format.
"""

from __future__ import annotations

from typing import Any

from ramps.errors import FormatError
from ramps.products.api import ASDF, FITS

__all__ = ["NAMES", "ROLES", "VARIANCES", "array_name", "is_asdf", "role_name", "shape_of",
           "variance_names", "where"]

#: The roles operations ask for.
ROLES = ("SCI", "ERR", "DQ", "PIXELDQ", "GROUPDQ", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT")
#: Variance roles whose sum is ERR**2, in the order they are summed.
VARIANCES = ("VAR_POISSON", "VAR_RNOISE", "VAR_FLAT")
#: format -> role -> the name a product of that format keeps the role's array under.
NAMES: dict[str, dict[str, str]] = {
    FITS: {role: role for role in ROLES},
    ASDF: {"SCI": "data", "ERR": "err", "DQ": "dq", "PIXELDQ": "pixeldq",
           "GROUPDQ": "groupdq", "VAR_POISSON": "var_poisson", "VAR_RNOISE": "var_rnoise",
           "VAR_FLAT": "var_flat"},
}


def is_asdf(p: Any) -> bool:
    """True for an ASDF product (:class:`ramps.products.asdf.AsdfProduct`)."""
    return getattr(p, "format", FITS) == ASDF


def role_name(p: Any, role: str) -> str:
    """The name a product of ``p``'s format gives ``role``, present in ``p`` or not
    (ValueError for a role not in :data:`ROLES`)."""
    table = NAMES[getattr(p, "format", FITS)]
    name = table.get(role.upper())
    if name is None:
        raise ValueError(f"unknown role {role!r}; the roles are {', '.join(ROLES)}")
    return name


def array_name(p: Any, role: str) -> str | None:
    """The name product ``p`` keeps the array of ``role`` under (``"VAR_POISSON"`` in a
    FITS product, ``"var_poisson"`` in a Roman one; ``"SCI"`` is ``"data"`` there), or
    None when it has no such array."""
    name = role_name(p, role)
    return name if name in p else None


def where(p: Any) -> str:
    """The file(s) of a product, for messages (an exposure's segments, comma-separated)."""
    return getattr(p, "path", None) or ", ".join(getattr(p, "paths", ())) or repr(p)


def shape_of(p: Any, name: str) -> tuple[int, ...]:
    """The shape of array ``name`` of any product (an exposure's: over all its segments)."""
    for e in p.extensions:
        if e.name == name and e.ver == 1:
            return tuple(e.shape)
    raise KeyError(f"{where(p)}: no array {name!r}")


def variance_names(p: Any) -> list[str]:
    """The names of the variance arrays of ``p`` that ERR is summed from (two or three, in
    :data:`VARIANCES` order).  :class:`~ramps.errors.FormatError` naming the file when
    fewer than two are present or their shapes differ."""
    present = [n for n in (array_name(p, r) for r in VARIANCES) if n]
    if len(present) < 2:
        wanted = ", ".join(role_name(p, r) for r in VARIANCES)
        raise FormatError(where(p), f"ERR needs at least two of {wanted}; found "
                          f"{', '.join(present) or 'none'}")
    shapes = [shape_of(p, n) for n in present]
    if len(set(shapes)) > 1:
        detail = ", ".join(f"{n} {s}" for n, s in zip(present, shapes))
        raise FormatError(where(p), f"variance arrays differ in shape: {detail}")
    return present

