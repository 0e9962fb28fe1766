"""Copying a product into a new file with some arrays replaced: the one copy operation.

One function for every writer that derives a file from a product, whatever its
format: DQ or ERR put into a copy of a product (:mod:`ramps.ops.quality`) and the
segments of an exposure merged into one file (:func:`ramps.ops.segments.merge_segments`,
which hands over the :class:`~ramps.products.exposure.Exposure` itself, since it has
the product interface).  A FITS product is written by :func:`ramps.fits.write.write`
(every extension, the ASDF extension rebuilt from the metadata); a Roman ASDF product
by :func:`ramps.asdf.write.write_asdf` (same kind, meta and other arrays, lz4 as
roman_datamodels saves).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ramps.asdf.write import write_asdf
from ramps.errors import FormatError
from ramps.fits.cards import checked_header
from ramps.fits.write import write
from ramps.products.api import ASDF, ProductAPI
from ramps.products.roles import where
from ramps.specs import walk

__all__ = ["copy_product"]

#: ``compression=`` not given: the format's own (FITS: none; ASDF: lz4).
_FORMAT_DEFAULT: Any = object()


def _key(key: str | tuple[str, int]) -> tuple[str, int]:
    return (key[0].upper(), int(key[1])) if isinstance(key, tuple) else (key.upper(), 1)


def _shape_mismatch(path: str, where_: str, old: tuple, name: str, new: tuple,
                    origin: str | None) -> FormatError:
    return FormatError(path, f"shape {tuple(old)} does not match the new {name} {tuple(new)}"
                       + (f" from {origin}" if origin else ""), where_)


def copy_product(product: ProductAPI, output: str | os.PathLike,
                 replace: Mapping[str | tuple[str, int], Any] | None = None, *,
                 header: Any = None, meta: Mapping[str, Any] | None = None,
                 origin: str | None = None, overwrite: bool = False,
                 checksum: bool | None = None, compression: Any = _FORMAT_DEFAULT,
                 threads: int | None = None) -> Path:
    """Write every array of ``product`` to ``output`` (atomically), those named in
    ``replace`` in place of its own.

    FITS (``replace``: ``NAME`` or ``(NAME, VER)`` -> array or streamed array): images
    are decoded to their physical dtype and re-encoded by the writer, tables copied
    as rows; the ASDF extension is rebuilt from ``meta``; a replacement the product
    lacks is added.  ``header`` defaults to the product's primary header;
    ``checksum=True`` writes DATASUM/CHECKSUM.

    ASDF, a Roman product (``replace``: tree name -> array): same kind, meta and other
    arrays (read whole, so ``output`` may be the product's own path); tree entries
    beside ``meta`` that hold no array are kept; a replacement must be an array the
    kind has.  ``compression``: ``"lz4"`` (default), ``"zlib"``, ``"bzp2"`` or None;
    ``checksum`` (default True) stores each block's MD5.

    A replacement must have the shape of the array it replaces: a
    :class:`~ramps.errors.FormatError` (also a ValueError) naming the file, the array
    and ``origin``, where the new data come from, otherwise; so are options the
    format has not (``header`` for ASDF, ``compression`` for FITS).  ``meta``
    defaults to the product's metadata.
    """
    if product.format == ASDF:
        if header is not None:
            raise FormatError(where(product), "an ASDF product has no header: header= is "
                              "for FITS copies")
        return _copy_asdf(product, output, replace or {}, meta=meta, origin=origin,
                          overwrite=overwrite, checksum=True if checksum is None else checksum,
                          compression="lz4" if compression is _FORMAT_DEFAULT else compression,
                          threads=threads)
    if compression is not _FORMAT_DEFAULT:
        raise FormatError(where(product), f"FITS copies are written uncompressed; "
                          f"compression={compression!r} is for ASDF products")
    return _copy_fits(product, output, replace or {}, header=header, meta=meta, origin=origin,
                      overwrite=overwrite, checksum=bool(checksum), threads=threads)


def _copy_fits(product: ProductAPI, output: str | os.PathLike,
               replace: Mapping[str | tuple[str, int], Any], *, header: Any,
               meta: Mapping[str, Any] | None, origin: str | None, overwrite: bool,
               checksum: bool, threads: int | None) -> Path:
    new = {_key(k): v for k, v in replace.items()}
    path = where(product)
    arrays: dict[tuple[str, int], Any] = {}
    for e in product.extensions[1:]:
        if e.name == "ASDF":
            continue
        key = (e.name, e.ver)
        if key in new:
            value = new.pop(key)
            shape = tuple(getattr(value, "shape", np.shape(value)))
            if e.type == "IMAGE" and shape != tuple(e.shape):
                raise _shape_mismatch(path, f"{e.name},{e.ver}", e.shape, e.name, shape, origin)
            arrays[key] = value
        elif e.type == "IMAGE":
            arrays[key] = product.read(e.name, e.ver, threads=threads)
        else:
            arrays[key] = product[e.name, e.ver]
    arrays.update(new)
    header = checked_header(product.header(), where(product)) if header is None else header
    meta = product.meta if meta is None else meta
    return write(output, product.kind, arrays, header=header,
                 meta={"meta": dict(meta)} if meta else None, overwrite=overwrite,
                 checksum=checksum)


def _has_block_array(node: Any) -> bool:
    found: list[bool] = []

    def visit(n: Any, _path: str) -> bool:
        if isinstance(n, dict) and str(getattr(n, "_tag", "") or "").startswith(
                "tag:stsci.edu:asdf/core/ndarray-"):
            found.append(True)
        return not found

    walk.walk(node, visit)
    return bool(found)


def _copy_asdf(p: Any, output: str | os.PathLike, replace: Mapping[str, Any], *,
               meta: Mapping[str, Any] | None, origin: str | None, overwrite: bool,
               checksum: bool, compression: str | None, threads: int | None) -> Path:
    if p.spec is None:
        raise FormatError(p.path, f"is a {p.kind} ASDF file, not a Roman product: no copy "
                          "with replaced arrays is written")
    unknown = [n for n in replace if n not in p.spec.names]
    if unknown:
        raise FormatError(p.path, f"a {p.kind} product has no array {', '.join(unknown)} to "
                          f"replace (its arrays: {', '.join(p.spec.names)})")
    arrays: dict[str, Any] = {}
    for a in p.spec.arrays:
        if a.name in replace:
            value = replace[a.name]
            shape = tuple(getattr(value, "shape", np.shape(value)))
            if a.name in p and shape != tuple(p.info(a.name).shape):
                raise _shape_mismatch(p.path, a.name, p.info(a.name).shape, a.name, shape,
                                      origin)
            arrays[a.name] = value
        elif a.name in p:
            arrays[a.name] = p.table(a.name) if a.table else p.read(a.name, threads=threads)
    node = p.tree.get("roman", {})
    extras = {k: v for k, v in node.items()
              if k != "meta" and k not in p.spec.names and not _has_block_array(v)}
    return write_asdf(output, p.kind, arrays, meta=p.meta if meta is None else meta,
                      tree=extras, compression=compression, overwrite=overwrite,
                      threads=threads, checksum=checksum)
