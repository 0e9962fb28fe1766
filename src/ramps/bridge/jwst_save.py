"""Saving a stdatamodels model through ramps' streaming, atomic FITS writer.

The layout is stdatamodels' own (``fits_support.to_fits``: the arrays and
header keywords placed by the model's schema, ``extra_fits``, history, the
ASDF extension with its ``_fits_hash``), exactly as ``model.save`` writes it:

* :func:`ramps.bridge.jwst_layout.model_hdus` runs stdatamodels' schema walk
  over light HDU records instead of astropy HDUs (a 300-slit MOS model in a
  fraction of the time); the headers are byte for byte ``model.save``'s;
* what it does not model (odd keywords, a second primary HDU ...) is laid out by
  ``to_fits`` itself, over an :class:`~ramps.bridge.hdulist.IndexedHDUList`
  (linear rather than quadratic in the number of HDUs): logged at INFO when the
  fast layout declines, a :class:`LayoutFallbackWarning` when it failed unexpectedly.

The HDUs are then streamed by :func:`ramps.fits.write.write_hdus` (temp file,
fsync, atomic publish, optional checksums): image data encoded in chunks by the
C kernels straight from the model's arrays (no copy of an array), tables and the
ASDF extension as astropy or asdf serialize them.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

from ramps.bridge.jwst_layout import records
from ramps.fits.layout import Hdu
from ramps.sources.atomic import check_target
from ramps.bridge.hdulist import IndexedHDUList
from ramps.bridge.jwst_hdus import Unsupported
from ramps.bridge.jwst_layout import model_hdus
from ramps.errors import FormatWarning
from ramps.fits.write import write_hdus

__all__ = ["LayoutFallbackWarning", "layout_hdus", "save_model", "to_fits_hdus"]

log = logging.getLogger(__name__)


def to_fits_hdus(model: Any) -> list[Hdu]:
    """The HDUs of ``model`` laid out by stdatamodels' ``fits_support.to_fits`` itself."""
    from astropy.io import fits
    from stdatamodels import fits_support


    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Card is too long")
        hdul = fits_support.to_fits(model._instance, model._schema,
                                    hdulist=IndexedHDUList([fits.PrimaryHDU()]))
        if getattr(model, "_no_asdf_extension", False) and "ASDF" in hdul:
            del hdul["ASDF"]
        hdul.update_extend()
        return records(hdul)


def layout_hdus(model: Any) -> list[Hdu]:
    """The HDUs ``model.save`` would write (after ``on_save``), as ramps'
    :class:`~ramps.fits.layout.Hdu` records.

    :func:`~ramps.bridge.jwst_layout.model_hdus` lays out what it models; what it
    declines (:class:`~ramps.bridge.jwst_hdus.Unsupported`: HIERARCH keywords, a
    second primary ...) goes to :func:`to_fits_hdus`, logged at INFO with the reason.
    Any other error of the fast layout (a stdatamodels release that moved one of the
    internals it relies on, an invalid model) is not hidden: stdatamodels' own
    ``to_fits`` then runs and raises its own error for an invalid model, and when it
    succeeds ramps.save warns (:class:`LayoutFallbackWarning`) that the fast path failed."""
    try:
        return model_hdus(model)
    except Unsupported as e:
        log.info("ramps.save: %s laid out by stdatamodels.fits_support.to_fits: %s",
                 type(model).__name__, e)
        return to_fits_hdus(model)
    except Exception as e:  # noqa: BLE001 - stdatamodels decides, and we say so below
        failure = e
    hdus = to_fits_hdus(model)  # an invalid model raises stdatamodels' error here
    warnings.warn(f"ramps.save: the fast layout of {type(model).__name__} failed "
                  f"({type(failure).__name__}: {failure}); the file was laid out by "
                  "stdatamodels' to_fits instead (slower, same file). Please report it.",
                  LayoutFallbackWarning, stacklevel=3)
    return hdus


class LayoutFallbackWarning(FormatWarning):
    """ramps.save fell back to stdatamodels' own layout after an unexpected error."""


def save_model(model: Any, path: str | os.PathLike, *, checksum: bool = False,
               overwrite: bool = False, threads: int | None = None) -> str:
    """Save a stdatamodels model as ``model.save(path)`` would, through ramps' writer."""

    target = Path(path)
    if target.suffix.lower() != ".fits":
        raise ValueError(f"{target}: ramps.save writes FITS files (.fits); "
                         f"use the model's own save for {target.suffix or 'other'} files")
    check_target(target, overwrite)
    model.on_save(str(target))  # meta.filename, meta.date, meta.model_type, Nones dropped
    write_hdus(target, layout_hdus(model), overwrite=overwrite, checksum=checksum,
               threads=threads)
    return str(target)
