"""The numpy-facing face of the C kernels (codec.py, quality.py, checksum.py).

Each function checks dtypes, shapes and contiguity, allocates the output (or
uses ``out=``), and calls one C kernel with the GIL released.  Inputs are never
modified.  ``threads=None`` uses every core; results are bit-identical for any
thread count.  No function allocates a temporary the size of its input.
"""

from __future__ import annotations

from ._common import check_threads, have_openmp
from .checksum import checksum_encode, fits_checksum
from .codec import decode, decode_typed, encode, transcode_u16_to_f32be
from .fits_types import BITPIX_DTYPE, FITS_ENCODING, INTEGER_OFFSETS, fits_dtype
from .quality import collapse_dq, combine_dq, err_from_variances

__all__ = [
    "decode",
    "decode_typed",
    "encode",
    "transcode_u16_to_f32be",
    "combine_dq",
    "collapse_dq",
    "err_from_variances",
    "fits_checksum",
    "checksum_encode",
    "have_openmp",
    "check_threads",
    "fits_dtype",
    "BITPIX_DTYPE",
    "FITS_ENCODING",
    "INTEGER_OFFSETS",
]

