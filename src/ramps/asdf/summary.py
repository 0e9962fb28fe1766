"""The table ``AsdfProduct.info()`` prints: one row per array and table of the tree, as
``astropy.io.fits.info`` prints a FITS file's HDUs."""

from __future__ import annotations

import sys
from typing import IO, Any

__all__ = ["format_summary"]

_HEADING = "No.  Name                            Type   Dtype      Shape              Compression"


def format_summary(filename: str, rows: list[tuple], output: IO[str] | None) -> None:
    """Write ``rows`` (index, name, type, dtype, shape, compression) under a heading to
    ``output`` (None or True: stdout)."""
    lines = [f"Filename: {filename}", _HEADING]
    for index, name, kind, dtype, shape, compression in rows:
        lines.append(f"{index:3d}  {name:30s}  {kind:5s}  {str(dtype or ''):9s}  "
                     f"{str(tuple(shape)):17s}  {compression or ''}".rstrip())
    stream: Any = sys.stdout if output in (None, True) else output
    stream.write("\n".join(lines) + "\n")
    stream.flush()
