"""Copying a product into a new file with some extensions replaced.

One loop for every writer that derives a file from a product: DQ or ERR put
into a copy of a product (:mod:`ramps.ops.quality`) and the segments of an exposure
merged into one file (:func:`ramps.products.exposure.merge_segments`, which hands over
the :class:`~ramps.products.exposure.Exposure` itself, since it has the product interface).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ramps.products.api import ProductAPI
from ramps.fits.write import write

__all__ = ["copy_product"]


def _key(key: str | tuple[str, int]) -> tuple[str, int]:
    return (key[0].upper(), int(key[1])) if isinstance(key, tuple) else (key.upper(), 1)


def copy_product(product: ProductAPI, output: str | os.PathLike,
                 replace: Mapping[str | tuple[str, int], Any] | None = None, *,
                 header: Any = None, meta: Mapping[str, Any] | None = None,
                 origin: str | None = None, overwrite: bool = False,
                 checksum: bool = False) -> Path:
    """Write every extension of ``product`` to ``output`` (atomically), those named in
    ``replace`` (``NAME`` or ``(NAME, VER)`` -> array or streamed array) in place of its own.

    Images are decoded to their physical dtype and re-encoded by the writer,
    tables copied as rows; the ASDF extension is rebuilt from ``meta``.  A
    replacement must have the shape of the image it replaces (a ValueError
    naming the file, the extension and ``origin``, where the new data come
    from, otherwise); one the product lacks is added.  ``header`` and ``meta``
    default to the product's primary header and metadata.
    """

    new = {_key(k): v for k, v in (replace or {}).items()}
    path = getattr(product, "path", None) or ", ".join(getattr(product, "paths", ()))
    arrays: dict[tuple[str, int], Any] = {}
    for e in product.extensions[1:]:
        if e.name == "ASDF":
            continue
        key = (e.name, e.ver)
        if key in new:
            value = new.pop(key)
            shape = tuple(getattr(value, "shape", np.shape(value)))
            if e.type == "IMAGE" and shape != tuple(e.shape):
                raise ValueError(f"{path}[{e.name},{e.ver}]: shape {tuple(e.shape)} does not "
                                 f"match the new {e.name} {shape}"
                                 + (f" from {origin}" if origin else ""))
            arrays[key] = value
        elif e.type == "IMAGE":
            arrays[key] = product.read(e.name, e.ver)
        else:
            arrays[key] = product[e.name, e.ver]
    arrays.update(new)
    header = product.header() if header is None else header
    meta = product.meta if meta is None else meta
    return write(output, product.kind, arrays, header=header,
                 meta={"meta": dict(meta)} if meta else None, overwrite=overwrite,
                 checksum=checksum)
