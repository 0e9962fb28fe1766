"""FITS data types: BITPIX <-> numpy dtypes and the pseudo-unsigned BZERO conventions,
in one table the readers and the writer share."""

from __future__ import annotations

from typing import Any

import numpy as np

#: FITS BITPIX -> big-endian on-disk numpy dtype.
BITPIX_DTYPE = {8: ">u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}

#: Logical numpy dtype -> (BITPIX, BZERO) of its cast-free FITS encoding: the one FITS type
#: table (uint16 is BITPIX 16 with BZERO 32768, int8 is BITPIX 8 with BZERO -128, ...).
FITS_ENCODING: dict[np.dtype, tuple[int, int]] = {
    np.dtype(np.float32): (-32, 0),
    np.dtype(np.float64): (-64, 0),
    np.dtype(np.uint8): (8, 0),
    np.dtype(np.int8): (8, -128),
    np.dtype(np.int16): (16, 0),
    np.dtype(np.uint16): (16, 1 << 15),
    np.dtype(np.int32): (32, 0),
    np.dtype(np.uint32): (32, 1 << 31),
    np.dtype(np.int64): (64, 0),
    np.dtype(np.uint64): (64, 1 << 63),
}

#: Pseudo-unsigned (or signed-byte) conventions: (BITPIX, BZERO) -> native result dtype.
#: The stored value plus BZERO is the stored value with its sign bit flipped.
INTEGER_OFFSETS = {(bitpix, float(bzero)): dtype
                   for dtype, (bitpix, bzero) in FITS_ENCODING.items() if bzero}


def fits_dtype(dtype: Any) -> tuple[int, int]:
    """(BITPIX, BZERO) under which an array of ``dtype`` is stored in a FITS image
    (:data:`FITS_ENCODING`; byte order ignored); TypeError for any other dtype."""
    dt = np.dtype(dtype)
    try:
        return FITS_ENCODING[dt.newbyteorder("=") if dt.itemsize > 1 else dt]
    except KeyError:
        raise TypeError(
            f"cannot store {dt} in a FITS image; supported: "
            + ", ".join(d.name for d in FITS_ENCODING)
        ) from None
