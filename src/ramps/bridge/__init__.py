"""Data models in and out through ramps: the reference libraries' model objects over
ramps' arrays (:func:`open_model`), and models written by ramps' writer (:func:`save`).

JWST (``stdatamodels``, extra ``[jwst]``): :mod:`ramps.bridge.jwst` (open) and
:mod:`ramps.bridge.jwst_save` (save).  Roman (``roman_datamodels``, extra
``[roman]``): :mod:`ramps.bridge.roman` (open) and :mod:`ramps.bridge.roman_save`
(save).  Neither library is imported until a function here needs it; a missing one
raises an ImportError naming the extra.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from ramps.products import AsdfProduct, Product
from ramps.products import open as open_product

__all__ = ["open_model", "require", "save"]

_EXTRA = {"stdatamodels": "jwst", "roman_datamodels": "roman"}


def require(module: str, extra: str) -> None:
    """Import ``module`` or raise an ImportError saying which ramps extra installs it."""
    try:
        importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"this needs {module}, which is not installed: "
                          f"pip install {module} (ramps' [{extra}] extra: "
                          f"pip install '.[{extra}]' in a ramps checkout)") from e


def open_model(path: str | os.PathLike | Any, model: Any = None, *,
               storage_options: dict | None = None, **kwargs: Any) -> Any:
    """Open a product as the reference library's data model, over ramps' arrays.

    ``path``: a JWST FITS product or a Roman ASDF file: a path, a file object, a
    product open in ramps (``ramps.open``: it stays open) or a URL (``s3://``, ``https://`` ..., read by range requests as :func:`ramps.open`
    reads it; ``storage_options`` go to fsspec).
    ``model``: the model class or its name (``"RampModel"`` opens an uncal as
    ``RampModel(path)`` does); default: the class the file's DATAMODL (JWST) or
    the ``roman`` node's tag (Roman) names.  Other keywords go to the model's
    constructor (``strict_validation`` ...).

    The model's metadata are those the reference library's own loader gives;
    arrays of a local file stored as they are held are copy-on-write memory maps
    of it (writes stay in memory), the others (and every array of a URL) are
    decoded by ramps' kernels (Roman lz4 blocks by ramps' C codec).  See
    :mod:`ramps.bridge.jwst` and :mod:`ramps.bridge.roman`.
    """
    name = os.fspath(path).lower() if isinstance(path, (str, os.PathLike)) else ""
    if name.endswith(".asdf"):  # a missing extra is said before the file is opened
        require("roman_datamodels", "roman")
    elif name.endswith((".fits", ".fits.gz", ".fit")):
        require("stdatamodels", "jwst")
    if isinstance(path, (Product, AsdfProduct)):  # an open product: the caller closes it
        return _product_model(path, model, **kwargs)
    with open_product(path, storage_options=storage_options) as p:
        return _product_model(p, model, **kwargs)


def _product_model(p: Any, model: Any, **kwargs: Any) -> Any:
    if p.format == "asdf":
        require("roman_datamodels", "roman")
        from ramps.bridge.roman import product_model as roman_model

        return roman_model(p, model, **kwargs)
    require("stdatamodels", "jwst")
    from ramps.bridge.jwst import product_model

    return product_model(p, model, **kwargs)


def save(model: Any, path: str | os.PathLike, *, checksum: bool | None = None,
         overwrite: bool = False, threads: Any = None, compression: str | None = "lz4"
         ) -> str:
    """Write a data model to ``path`` through ramps' streaming, atomic writers.

    stdatamodels models (``.fits``): the file the model's own ``save`` writes
    (headers, tables, ``extra_fits``, the ASDF extension); the model is updated
    on the way as its ``save`` does (``meta.filename``, ``meta.date``,
    ``meta.model_type``); ``checksum=True`` adds DATASUM/CHECKSUM to every HDU.

    roman_datamodels models (``.asdf``): the tree ``model.save`` writes, with
    ``meta.filename`` and ``meta.file_date`` set for the file (and restored on
    the model afterwards, as roman_datamodels does); ``compression``: ``"lz4"``
    (default, as roman_datamodels), ``"zlib"``, ``"bzp2"`` or None; each block's
    MD5 is stored unless ``checksum=False``.

    ``overwrite=False`` refuses an existing file (FileExistsError).  Returns the
    path written.
    """
    kind = _library(model)
    if kind == "stdatamodels":
        from ramps.bridge.jwst_save import save_model

        if compression not in (None, "lz4"):
            raise ValueError("compression applies to Roman (ASDF) models only")
        return save_model(model, path, checksum=bool(checksum), overwrite=overwrite,
                          threads=threads)
    if kind == "roman_datamodels":
        from ramps.bridge.roman_save import save_model as save_roman

        return save_roman(model, path, compression=compression, overwrite=overwrite,
                          checksum=checksum, threads=threads)
    raise TypeError(f"ramps.save takes a stdatamodels or roman_datamodels model, got "
                    f"{type(model).__name__}")


def _library(model: Any) -> str:
    for cls in type(model).__mro__:
        top = cls.__module__.split(".", 1)[0]
        if top in _EXTRA and top in sys.modules:
            return top
    return ""
