"""``ramps.write``: one entry point, the writer picked by the target.

An ``.asdf`` target, or a Roman kind (``ramps.specs.roman``) or model class,
goes to :func:`ramps.asdf.write.write_asdf`; anything else to the FITS writer
(:func:`ramps.fits.write.write`), with its arguments unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ramps.errors import FormatError
from ramps.specs import PRODUCTS
from ramps.specs.roman import ROMAN_PRODUCTS, get_roman_spec
from ramps.fits.write import write as write_fits
from ramps.asdf.write import write_asdf

__all__ = ["is_asdf_target", "write"]


def is_asdf_target(path: str | os.PathLike, kind: str) -> bool:
    """True when ``path`` ends in ``.asdf`` or ``kind`` is only a Roman kind/model."""

    if str(os.fspath(path)).lower().endswith(".asdf"):
        return True
    if str(kind).lower() in PRODUCTS:  # a JWST kind (ramp is both): FITS unless .asdf
        return False
    return _is_roman(kind)


def _is_roman(kind: str) -> bool:
    try:
        get_roman_spec(kind)
        return True
    except KeyError:
        return kind in ROMAN_PRODUCTS


def write(path: str | os.PathLike, kind: str, arrays: Mapping[str, Any], **kwargs: Any) -> Path:
    """Write a product: Roman ASDF (``.asdf`` targets, Roman kinds; see
    :func:`ramps.asdf.write.write_asdf`: ``meta=``, ``compression=``,
    ``overwrite=``, ``threads=``) or JWST FITS (see :func:`ramps.fits.write.write`)."""
    if is_asdf_target(path, kind):
        if str(kind).lower() in PRODUCTS and not _is_roman(kind):
            raise FormatError(os.fspath(path), f"{kind!r} is a JWST product kind, which "
                              "ramps.write writes as FITS: write a .fits file, then "
                              "`ramps.convert FILE.fits --to asdf` for the plain-ASDF form "
                              "stdatamodels opens")
        return write_asdf(path, kind, arrays, **kwargs)

    return write_fits(path, kind, arrays, **kwargs)
