"""Arrays by role, whatever the file format.

The operations on products (:mod:`ramps.ops.quality`) name arrays by their role, as the
JWST FITS extensions are named: ``SCI``, ``ERR``, ``DQ``, ``PIXELDQ``, ``GROUPDQ``,
``VAR_POISSON``, ``VAR_RNOISE``, ``VAR_FLAT``.  A Roman ASDF product keeps the same
arrays under its tree names, which differ only by case (``var_poisson``,
``groupdq`` ...) except the science array, ``data``.  :func:`array_name` gives the
name a product uses for a role, so an operation asks ``p.read(array_name(p, "ERR"))``
and runs on either format.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ROLES", "VARIANCES", "array_name", "is_asdf", "variance_hdus"]

#: role -> its name in a Roman (ASDF) tree, where it is not the role in lower case.
_ASDF_NAMES = {"SCI": "data"}
#: The roles operations ask for.
ROLES = ("SCI", "ERR", "DQ", "PIXELDQ", "GROUPDQ", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT")
#: Variance extensions whose sum is ERR**2, in the order they are summed.
VARIANCES = ("VAR_POISSON", "VAR_RNOISE", "VAR_FLAT")


def is_asdf(p: Any) -> bool:
    """True for an ASDF product (:class:`ramps.products.asdf.AsdfProduct`)."""
    return getattr(p, "format", "fits") == "asdf"


def array_name(p: Any, role: str) -> str | None:
    """The name product ``p`` keeps the array of ``role`` under (``"VAR_POISSON"`` in a
    FITS product, ``"var_poisson"`` in a Roman one; ``"SCI"`` is ``"data"`` there), or
    None when it has no such array."""
    role = role.upper()
    name = _ASDF_NAMES.get(role, role.lower()) if is_asdf(p) else role
    return name if name in p else None


def variance_hdus(p: Any) -> tuple[list[str], list[Any]]:
    """The VAR_* extensions of FITS product ``p`` that ERR is summed from: (names, index
    entries).  ValueError naming the file when fewer than two are present or their
    shapes differ."""
    present = [n for n in VARIANCES if n in p]
    if len(present) < 2:
        raise ValueError(f"{p.path}: ERR needs at least two of {', '.join(VARIANCES)}"
                         f"; found {', '.join(present) or 'none'}")
    infos = [p.hdu(n) for n in present]
    if len({i.shape for i in infos}) > 1:
        detail = ", ".join(f"{n} {i.shape}" for n, i in zip(present, infos))
        raise ValueError(f"{p.path}: variance extensions differ in shape: {detail}")
    return present, infos
