"""astropy HDUs -> ramps' :class:`~ramps.fits.layout.Hdu` records, for the streamed writer.

:func:`image_record` hands an image's array to the kernels (encoded in chunks
by :func:`ramps.fits.write.write_hdus`, no copy); :func:`serialized_record`
lets astropy serialize anything else (tables, the ASDF extension, odd images);
:func:`header_cards` are a header's card images.  CHECKSUM/DATASUM cards are
dropped everywhere: the writer adds fresh ones when asked.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from ramps.fits.cards import END, parse_card
from ramps.fits.index import BLOCK
from ramps.fits.layout import Hdu
from ramps.kernels import fits_dtype

__all__ = ["CHECKSUM_KEYS", "header_cards", "image_record", "serialized_record"]

CHECKSUM_KEYS = ("CHECKSUM", "DATASUM")


def header_cards(header: Any) -> list[str]:
    """The card images of an astropy Header (no END, no checksum cards)."""
    text = header.tostring(sep="", endcard=False, padding=False)
    cards = [text[i:i + 80] for i in range(0, len(text), 80)]
    return [c for c in cards if c[:8].rstrip() not in CHECKSUM_KEYS]


def serialized_record(hdu: Any) -> Hdu:
    """An HDU astropy serializes (tables, the ASDF extension, odd images)."""
    from astropy.io import fits

    bio = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(bio)
    raw = bio.getvalue()[BLOCK:]
    end = next(i for i in range(0, len(raw), 80) if raw[i:i + 80] == END.encode())
    cards = [c for c in (raw[i:i + 80].decode("ascii") for i in range(0, end, 80))
             if c[:8].rstrip() not in CHECKSUM_KEYS]
    start = end + 80 + (-(end + 80) % BLOCK)
    size = _data_size(cards)
    data = raw[start:start + size]
    return Hdu(hdu.name, hdu.ver, cards, "bytes", data, len(data))


def _data_size(cards: list[str]) -> int:
    """The data unit's size from the structural cards (FITS Standard 4.4.1)."""
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


def image_record(hdu: Any) -> Hdu | None:
    """An astropy image HDU whose data the kernels encode (None: serialize it)."""
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
    return Hdu(hdu.name, hdu.ver, header_cards(h), "array", data, data.size * logical.itemsize,
               bitpix, int(bzero))
