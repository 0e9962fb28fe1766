"""Saving a stdatamodels model through ramps' streaming, atomic FITS writer.

The layout is stdatamodels' own: ``fits_support.to_fits`` places the arrays
and header keywords by the model's schema, adds ``extra_fits``, history and the
ASDF extension (with its ``_fits_hash``), exactly as ``model.save`` does.  It
runs over an :class:`~ramps.bridge.hdulist.IndexedHDUList`, so a 300-slit
MultiSlitModel is laid out in linear rather than quadratic time.  The HDUs are
then streamed by :func:`ramps.fits.write.write_hdus` (temp file, fsync, atomic
publish, optional checksums): image data encoded in chunks by the C kernels
straight from the model's arrays (no copy of an array), headers as astropy
made them, tables and the ASDF extension as astropy serializes them.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from ..atomic import check_target
from ..fits.cards import END
from ..fits.index import BLOCK
from ..fits.layout import Hdu
from ..kernels import fits_dtype

__all__ = ["save_model", "layout_hdus"]

_CHECKSUM_KEYS = ("CHECKSUM", "DATASUM")


def _cards(header: Any) -> list[str]:
    text = header.tostring(sep="", endcard=False, padding=False)
    cards = [text[i:i + 80] for i in range(0, len(text), 80)]
    return [c for c in cards if c[:8].rstrip() not in _CHECKSUM_KEYS]


def _serialized(hdu: Any) -> Hdu:
    """An HDU astropy serializes (tables, the ASDF extension, odd images)."""
    from astropy.io import fits

    bio = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(bio)
    raw = bio.getvalue()[BLOCK:]
    end = next(i for i in range(0, len(raw), 80) if raw[i:i + 80] == END.encode())
    cards = [c for c in (raw[i:i + 80].decode("ascii") for i in range(0, end, 80))
             if c[:8].rstrip() not in _CHECKSUM_KEYS]
    start = end + 80 + (-(end + 80) % BLOCK)
    size = _data_size(cards)
    data = raw[start:start + size]
    return Hdu(hdu.name, hdu.ver, cards, "bytes", data, len(data))


def _data_size(cards: list[str]) -> int:
    """The data unit's size from the structural cards (FITS Standard 4.4.1)."""
    from ..fits.cards import parse_card

    values = {c[:8].rstrip(): parse_card(c)[0] for c in cards
              if c[:8].rstrip() in ("BITPIX", "NAXIS", "PCOUNT", "GCOUNT") or
              c.startswith("NAXIS")}
    naxis = int(values.get("NAXIS", 0))
    if not naxis:
        return 0
    n = 1
    for i in range(1, naxis + 1):
        n *= int(values.get(f"NAXIS{i}", 0))
    return abs(int(values["BITPIX"])) // 8 * int(values.get("GCOUNT", 1)) * (
        n + int(values.get("PCOUNT", 0)))


def _image(hdu: Any) -> Optional[Hdu]:
    """An image HDU whose data the kernels encode (None: let astropy serialize it)."""
    data = hdu.data
    if not isinstance(data, np.ndarray) or data.dtype.names is not None or not data.shape:
        return None
    h = hdu.header
    try:
        bitpix, bzero = fits_dtype(data.dtype)
    except (TypeError, ValueError, KeyError):
        return None
    if h.get("BITPIX") != bitpix or h.get("BZERO", 0) != bzero or h.get("BSCALE", 1) != 1 \
            or tuple(h.get(f"NAXIS{i}", 0) for i in range(data.ndim, 0, -1)) != data.shape:
        return None
    logical = data.dtype.newbyteorder("=") if data.dtype.itemsize > 1 else data.dtype
    return Hdu(hdu.name, hdu.ver, _cards(h), "array", data, data.size * logical.itemsize,
               bitpix, int(bzero))


def layout_hdus(model: Any) -> list[Hdu]:
    """The HDUs ``model.save`` would write (after ``on_save``), laid out by stdatamodels'
    ``to_fits`` and converted to ramps' :class:`~ramps.fits.layout.Hdu` records."""
    from astropy.io import fits
    from stdatamodels import fits_support

    from .hdulist import IndexedHDUList

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Card is too long")
        hdul = fits_support.to_fits(model._instance, model._schema,
                                    hdulist=IndexedHDUList([fits.PrimaryHDU()]))
        if getattr(model, "_no_asdf_extension", False) and "ASDF" in hdul:
            del hdul["ASDF"]
        hdul.update_extend()
        out = []
        for i, hdu in enumerate(hdul):
            if i == 0:
                if hdu.data is not None:
                    raise ValueError("primary HDU data are not written by ramps.save")
                out.append(Hdu("PRIMARY", 1, _cards(hdu.header), "bytes", b"", 0))
                continue
            image = _image(hdu) if isinstance(hdu, fits.ImageHDU) else None
            out.append(image if image is not None else _serialized(hdu))
    return out


def save_model(model: Any, path: Union[str, os.PathLike], *, checksum: bool = False,
               overwrite: bool = False, threads: Optional[int] = None) -> str:
    """Save a stdatamodels model as ``model.save(path)`` would, through ramps' writer."""
    from ..fits.write import write_hdus

    target = Path(path)
    if target.suffix.lower() != ".fits":
        raise ValueError(f"{target}: ramps.save writes FITS files (.fits); "
                         f"use the model's own save for {target.suffix or 'other'} files")
    check_target(target, overwrite)
    model.on_save(str(target))  # meta.filename, meta.date, meta.model_type, Nones dropped
    write_hdus(target, layout_hdus(model), overwrite=overwrite, checksum=checksum,
               threads=threads)
    return str(target)
