"""The HDU table of a FITS file, as ``astropy.io.fits.info`` prints it, from the
structure index and the raw header cards (no astropy Headers built).

Each row is astropy's tuple: (index, EXTNAME, EXTVER, HDU class name, number of
cards, dimensions in FITS order (NAXIS1 first), format, "").  For images the
format is the stored dtype, with `` (rescales to X)`` when BSCALE/BZERO apply
and empty when an axis is 0 or NAXIS = 0; for tables the dimensions read
``"{rows}R x {cols}C"`` and the format lists the TFORMn values.  A tile-compressed
image is listed as astropy lists it: a CompImageHDU with the cards of its image header.
A ``SIMPLE = F`` file is one NonstandardHDU (dimensions ``()``).
"""

from __future__ import annotations

import sys
from typing import IO

from ramps.fits import compressed
from ramps.fits.index import HDUInfo, card_value
from ramps.sources import ByteSource

__all__ = ["format_summary", "summary_rows"]

_CLASS = {"PRIMARY": "PrimaryHDU", "IMAGE": "ImageHDU", "BINTABLE": "BinTableHDU",
          "TABLE": "TableHDU", "GROUPS": "GroupsHDU", "OTHER": "NonstandardExtHDU",
          "NONSTANDARD": "NonstandardHDU"}
_STORED = {8: "uint8", 16: "int16", 32: "int32", 64: "int64", -32: "float32", -64: "float64"}
_UNSIGNED = {(8, -128.0): "int8", (16, 32768.0): "uint16", (32, 2.0 ** 31): "uint32",
             (64, 2.0 ** 63): "uint64"}


def _ncards(raw: bytes) -> int:
    """Cards before END, as ``len(astropy Header)``: a CONTINUE card belongs to the card
    before it (astropy joins every CONTINUE card to its predecessor: one long string)."""
    n = 0
    for i in range(0, len(raw) - 79, 80):
        key = raw[i:i + 8]
        if key == b"END     ":
            break
        n += key != b"CONTINUE"
    return n


def _image_format(h: HDUInfo) -> str:
    if not h.shape or not all(h.shape):
        return ""
    fmt = _STORED[h.bitpix]
    if h.bitpix > 0 and (h.bscale != 1.0 or h.bzero != 0.0):
        scaled = _UNSIGNED.get((h.bitpix, h.bzero)) if h.bscale == 1.0 else None
        fmt += f" (rescales to {scaled or ('float64' if h.bitpix > 16 else 'float32')})"
    return fmt


def summary_rows(source: ByteSource, hdus: list[HDUInfo]) -> list[tuple]:
    """One astropy-style summary tuple per HDU (see the module docstring)."""
    rows = []
    for h in hdus:
        raw = source.read(h.header_offset, h.header_size)
        dims: object = tuple(reversed(h.shape))
        fmt = ""
        cls = _CLASS.get(h.kind, "NonstandardExtHDU")
        if h.kind in ("BINTABLE", "TABLE"):
            ncols = int(card_value(raw, "TFIELDS") or 0)
            nrows = h.shape[0] if h.shape else 0
            dims = f"{nrows}R x {ncols}C"
            fmt = "[" + ", ".join(card_value(raw, f"TFORM{j}") or "" for j in
                                  range(1, ncols + 1)) + "]"
        elif h.kind in ("PRIMARY", "IMAGE"):
            fmt = _image_format(h)
        elif h.kind == "OTHER":
            dims = (h.data_size,)
        elif h.kind == "NONSTANDARD":
            dims = ()
        ncards = _ncards(raw)
        if h.zimage:
            cls, ncards = "CompImageHDU", len(compressed.header(source, h))
        rows.append((h.index, h.name, h.ver, cls, ncards, dims, fmt, ""))
    return rows


def format_summary(filename: str, rows: list[tuple], output: IO[str] | None) -> None:
    """Write ``rows`` under astropy's heading to ``output`` (None or True: stdout)."""
    lines = [f"Filename: {filename}",
             "No.    Name      Ver    Type      Cards   Dimensions   Format"]
    line = "{:3d}  {:10}  {:3} {:11}  {:5d}   {}   {}   {}"
    lines += [line.format(*row) for row in rows]
    stream = sys.stdout if output in (None, True) else output
    stream.write("\n".join(lines) + "\n")
    stream.flush()

