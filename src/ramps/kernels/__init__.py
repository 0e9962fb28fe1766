"""The numpy-facing face of the C kernels (codec.py, quality.py, checksum.py).

Each function checks dtypes, shapes and contiguity, allocates the output (or
uses ``out=``), and calls one C kernel with the GIL released.  Inputs are never
modified.  ``threads=None`` uses every core; results are bit-identical for any
thread count.  No function allocates a temporary the size of its input.
"""

from __future__ import annotations

from ramps.kernels._common import check_threads, have_openmp
from ramps.kernels.checksum import checksum_encode, fits_checksum
from ramps.kernels.codec import decode, decode_typed, encode, transcode_u16_to_f32be
from ramps.kernels.fits_types import (
    BITPIX_DTYPE,
    FITS_ENCODING,
    INTEGER_OFFSETS,
    fits_dtype,
)
from ramps.kernels.quality import collapse_dq, combine_dq, err_from_variances

__all__ = [
    "BITPIX_DTYPE",
    "FITS_ENCODING",
    "INTEGER_OFFSETS",
    "check_threads",
    "checksum_encode",
    "collapse_dq",
    "combine_dq",
    "decode",
    "decode_typed",
    "encode",
    "err_from_variances",
    "fits_checksum",
    "fits_dtype",
    "have_openmp",
    "transcode_u16_to_f32be",
]

