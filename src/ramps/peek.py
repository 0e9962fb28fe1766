"""A product's metadata without its data: :func:`read_meta`.

For catalogues and quick looks (``ramps.read_meta("s3://.../x_uncal.fits")``):
the structure scan reads only header blocks, the primary header is parsed from
bytes already read, and the ASDF extension is the one data unit fetched.  From a
URL this is a size look-up, a few header reads and the ASDF extension.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from .meta import Meta
from .product import open as open_product

__all__ = ["ProductMeta", "read_meta"]


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
    with open_product(path, storage_options=storage_options) as p:
        header = p.header(0) if hasattr(p, "header") else None
        return ProductMeta(header, p.meta, p.kind, p.model)
