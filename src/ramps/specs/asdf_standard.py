"""What the ASDF Standard fixes, written down once for both formats that hold ASDF: ASDF
files (``ramps.asdf``) and the ASDF extension of JWST FITS products (``ramps.fits``)."""

from __future__ import annotations

__all__ = ["ASDF_MAGIC", "BLOCK_MAGIC", "INDEX_HEADER", "NDARRAY_TAG_PREFIX", "NDARRAY_TAG",
           "FILE_HEADER", "STANDARD_VERSION", "SCALAR_DATATYPES", "DATATYPE_NAMES", "is_ndarray_tag", "ndarray_tag"]

#: The first bytes of every ASDF file (and of the FITS ASDF extension's data).
ASDF_MAGIC = b"#ASDF"
#: The first bytes of every block.
BLOCK_MAGIC = b"\xd3BLK"
#: The line that starts the block index at the end of a file.
INDEX_HEADER = b"#ASDF BLOCK INDEX"
#: The version of the ASDF Standard ramps writes.
STANDARD_VERSION = "1.6.0"
#: The two comment lines ramps writes at the top of an ASDF file.
FILE_HEADER = f"#ASDF 1.0.0\n#ASDF_STANDARD {STANDARD_VERSION}\n".encode()
#: Every version of the ndarray tag starts with this.
NDARRAY_TAG_PREFIX = "tag:stsci.edu:asdf/core/ndarray-"


def ndarray_tag(version: str = "1.1.0") -> str:
    """The ndarray tag of one version of the standard's schema."""
    return NDARRAY_TAG_PREFIX + version


#: The ndarray tag ramps writes into ASDF files.
NDARRAY_TAG = ndarray_tag("1.1.0")


def is_ndarray_tag(tag: object) -> bool:
    """True for an ndarray tag of any version."""
    return isinstance(tag, str) and tag.startswith(NDARRAY_TAG_PREFIX)


#: The ndarray schema's scalar ``datatype`` names -> numpy kind and width (no byte order).
SCALAR_DATATYPES = {"bool8": "?", "int8": "i1", "int16": "i2", "int32": "i4", "int64": "i8",
                    "uint8": "u1", "uint16": "u2", "uint32": "u4", "uint64": "u8",
                    "float16": "f2", "float32": "f4", "float64": "f8", "complex64": "c8",
                    "complex128": "c16"}
#: The reverse: numpy kind and width -> ``datatype`` name.
DATATYPE_NAMES = {code: name for name, code in SCALAR_DATATYPES.items()}
