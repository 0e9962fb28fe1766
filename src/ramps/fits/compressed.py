"""Tile-compressed images (a BINTABLE with ZIMAGE = T), read as astropy reads them.

The tiles (RICE_1, GZIP_1, GZIP_2, HCOMPRESS_1, PLIO_1, NOCOMPRESS; quantized
floats with or without subtractive dithering) are decompressed by astropy's own
code (:class:`astropy.io.fits.CompImageHDU`) over the HDU's bytes, so the values,
dtypes, names and headers are astropy's exactly:

* :func:`image_info` turns the index entry of the table into the entry of the image
  it holds (``kind`` "IMAGE", ZBITPIX/ZNAXISn as BITPIX/NAXISn, EXTNAME or
  ``COMPRESSED_IMAGE``); offsets and sizes stay those of the table (checksums and
  ``raw_bytes`` are about the stored bytes) and ``zimage`` stays True, which routes
  every read here instead of to the C decoders;
* :func:`read_range` decompresses elements of the image (only the tiles of the
  planes asked for when the range is whole planes of the first axis);
* :func:`header` is the image header astropy shows (``hdul[i].header``).

The compressed bytes of an HDU are read once per source (at scan time: the image
header needs them) and kept while the source lives; decompressed data are not
kept.  Parallel decompression is not done.
"""

from __future__ import annotations

import dataclasses
import io
import warnings
import weakref
from typing import Any

import numpy as np

from ramps.errors import FormatError, FormatWarning
from ramps.kernels import BITPIX_DTYPE
from ramps.sources import ByteSource

__all__ = ["header", "image_info", "read_range"]

_BLOCK = 2880
#: A primary HDU with no data: astropy reads an extension only after one.
_PRIMARY = b"".join(c.ljust(80).encode("ascii") for c in (
    "SIMPLE  =                    T", "BITPIX  =                    8",
    "NAXIS   =                    0", "END")).ljust(_BLOCK)

#: source -> {header offset: the astropy CompImageHDU}
_HDUS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _hdu(source: ByteSource, info: Any) -> Any:
    """astropy's CompImageHDU over the bytes of the table ``info`` (cached per source)."""
    from astropy.io import fits

    try:
        cache = _HDUS.setdefault(source, {})
    except TypeError:  # a source without weak references: no cache
        cache = {}
    hdu = cache.get(info.header_offset)
    if hdu is not None:
        return hdu
    raw = source.read(info.header_offset, info.header_size + info.data_size)
    raw += b"\0" * ((-len(raw)) % _BLOCK)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hdul = fits.open(io.BytesIO(_PRIMARY + raw), lazy_load_hdus=False)
            hdu = hdul[1]
    except Exception as e:  # astropy raises many types on malformed tables
        raise FormatError(source.name, f"malformed tile-compressed image: {type(e).__name__}: "
                          f"{e}", info.label) from None
    if not isinstance(hdu, fits.CompImageHDU):
        raise FormatError(source.name, "ZIMAGE = T but astropy does not read a compressed "
                          "image here (ZBITPIX, ZNAXISn or the COMPRESSED_DATA column "
                          "missing?)", info.label)
    cache[info.header_offset] = hdu
    return hdu


def image_info(source: ByteSource, info: Any) -> Any:
    """The index entry of the image a ZIMAGE table holds (see the module); the table's
    own entry, with a FormatWarning, when astropy cannot read it as an image (astropy
    then lists the table too)."""
    try:
        hdu = _hdu(source, info)
        h = hdu.header
        bitpix, naxis = int(h["BITPIX"]), int(h["NAXIS"])
        shape = tuple(int(h[f"NAXIS{k}"]) for k in range(naxis, 0, -1))
        blank = h.get("BLANK") if bitpix > 0 else None
        name, ver = str(hdu.name), int(hdu.ver)  # EXTNAME, else COMPRESSED_IMAGE
        return dataclasses.replace(
            info, name=name, ver=ver, kind="IMAGE", bitpix=bitpix, shape=shape,
            dtype=np.dtype(BITPIX_DTYPE[bitpix]), bscale=float(h.get("BSCALE", 1.0)),
            bzero=float(h.get("BZERO", 0.0)), blank=None if blank is None else int(blank))
    except (FormatError, KeyError, ValueError, TypeError) as e:
        warnings.warn(f"{source.name}[{info.label}]: ZIMAGE = T, but the table cannot be "
                      f"read as a compressed image ({e}); read as the table it is",
                      FormatWarning, stacklevel=4)
        return dataclasses.replace(info, zimage=False)


def header(source: ByteSource, info: Any) -> Any:
    """The image header of a compressed HDU, as astropy gives it (a copy)."""
    return _hdu(source, info).header.copy()


def read_range(source: ByteSource, info: Any, first: int, count: int) -> np.ndarray:
    """Elements ``[first, first + count)`` of the compressed image, decompressed and
    scaled as astropy's ``data`` (flat, native byte order)."""
    hdu = _hdu(source, info)
    plane = int(np.prod(info.shape[1:], dtype=np.int64)) if info.shape else 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if plane and first % plane == 0 and count % plane == 0:  # whole planes: their tiles
                data = hdu.section[first // plane:(first + count) // plane]
                return np.asarray(data).reshape(-1)
            return np.asarray(hdu.section[...]).reshape(-1)[first:first + count]
    except Exception as e:  # a corrupt tile: astropy raises many types
        raise FormatError(source.name, f"cannot decompress the image: {type(e).__name__}: {e}",
                          info.label) from None
