"""Opening a product, whatever its format: :func:`open` dispatches on the file's first
bytes (``#ASDF``: :class:`~ramps.products.asdf.AsdfProduct`, else FITS:
:class:`~ramps.products.fits.Product`); :func:`validate` and :func:`read_meta` (a
product's metadata without its data) go through it.

``read_meta`` is for catalogues and quick looks (``ramps.read_meta("s3://.../x_uncal.fits")``):
the structure scan reads only header blocks, the primary header is parsed from bytes
already read, and the ASDF extension is the one data unit fetched.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, NamedTuple

from ramps.fits.checksums import verify_mode
from ramps.errors import FormatWarning
from ramps.fits.validate import ValidationError, kind_conflict
from ramps.products.asdf import AsdfProduct, is_asdf, open_asdf
from ramps.products.fits import Product
from ramps.sources import gunzipped, open_source
from ramps.specs.meta import Meta
from ramps.specs.problems import Problems

__all__ = ["ProductMeta", "open", "read_meta", "validate"]


def open(path: str | os.PathLike | Any, *, kind: str | None = None,
         checksum: bool = False, verify: str | None = None, strict: bool = False,
         storage_options: dict | None = None) -> Product | AsdfProduct:
    """Open a product: a path, a URL (``s3://``, ``https://`` ...: range requests
    through fsspec, ``storage_options`` for credentials) or a seekable binary file
    object; FITS gives a :class:`Product`, ASDF an :class:`~ramps.products.asdf.AsdfProduct`.

    The structure is indexed at once; arrays, headers and metadata are read lazily.
    A gzipped file (``.fits.gz``, or any starting with the gzip magic) is decompressed
    into memory once, as astropy opens it: ``p.memory_mapped`` is then False.
    Input that is not FITS/ASDF, truncated or malformed raises
    :class:`ramps.errors.FormatError` naming the file and extension.  ``verify``:
    ``"ignore"`` (default), ``"warn"`` or ``"exception"`` verifies every
    DATASUM/CHECKSUM before returning and warns (FormatWarning) or raises
    :class:`ramps.ChecksumError`; ``checksum=True`` is ``"exception"``.  A ``kind``
    that contradicts the file warns, or raises ValidationError with ``strict=True``.
    """
    mode = verify_mode(checksum, verify)
    source = gunzipped(open_source(path, storage_options=storage_options))  # a URL's too
    if source.size >= 5 and is_asdf(source.read(0, 5)):  # Roman/ASDF
        return open_asdf(source, checksum=checksum)  # closes the source if it fails
    try:
        p = Product(source, kind=kind)
        if kind is not None:
            check_requested_kind(p, kind, strict)
        if mode == "exception":
            p.verify_checksums()
        elif mode == "warn":
            p.verify_checksums(warn=True)
        return p
    except BaseException:
        source.close()
        raise


def validate(path: str | os.PathLike, *, strict: bool = False) -> Problems:
    """Open ``path`` and check it against the spec of its kind (see Product.validate)."""
    with open(path) as p:
        return p.validate(strict=strict)


class ProductMeta(NamedTuple):
    """What :func:`read_meta` returns."""

    header: Any  #: the primary header (astropy Header); None for an ASDF file
    meta: Meta  #: the data-model metadata (the ASDF extension's ``meta``), {} if none
    kind: str | None  #: the product kind, None for a generic FITS file
    model: str | None  #: the data-model class (DATAMODL)


def read_meta(path: str | os.PathLike | Any, *,
              storage_options: dict | None = None) -> ProductMeta:
    """The primary header and data-model metadata of a product (a path, a URL or a
    file object), reading no array data.  For an ASDF file (Roman) ``header`` is
    None and ``meta`` the tree's ``roman.meta`` (the tree and block index are read,
    no block)."""
    with open(path, storage_options=storage_options) as p:
        header = p.header(0) if isinstance(p, Product) else None
        return ProductMeta(header, p.meta, p.kind, p.model)


def check_requested_kind(p: Product, kind: str, strict: bool = False) -> None:
    """``ramps.open(path, kind=...)``'s check: a kind that contradicts the file
    (:func:`kind_conflict`) warns with a :class:`~ramps.errors.FormatWarning` naming
    the file, what it says and what was asked, or raises :class:`ValidationError`
    with ``strict=True``.  The product keeps the asked kind: a kind is a label."""
    conflict = kind_conflict(p, kind)
    if conflict is None:
        return
    if strict:
        raise ValidationError(p.path, conflict)
    warnings.warn(FormatWarning(f"{p.path}: {conflict}"), stacklevel=3)
