"""Data models in and out through ramps: the reference libraries' model objects over
ramps' arrays (:func:`open_model`), and models written by ramps' writer (:func:`save`).

JWST (``stdatamodels``, extra ``ramps[jwst]``): :mod:`ramps.bridge.jwst` (open) and
:mod:`ramps.bridge.jwst_save` (save).  Roman (``roman_datamodels``, extra
``ramps[roman]``) is not supported yet.  Neither library is imported until a
function here needs it; a missing one raises an ImportError naming the extra.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Union

__all__ = ["open_model", "save", "require"]

_EXTRA = {"stdatamodels": "jwst", "roman_datamodels": "roman"}


def require(module: str, extra: str) -> None:
    """Import ``module`` or raise an ImportError saying which ramps extra installs it."""
    try:
        importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"this needs {module}, which is not installed: "
                          f"pip install 'ramps[{extra}]'") from e


def _is_asdf(path: Any) -> bool:
    if isinstance(path, (str, os.PathLike)):
        name = os.fspath(path)
        if name.lower().endswith(".asdf"):
            return True
        try:
            with open(name, "rb") as f:
                return f.read(5) == b"#ASDF"
        except OSError:
            return False
    return False


def open_model(path: Union[str, os.PathLike, Any], model: Any = None, **kwargs: Any) -> Any:
    """Open a product as the reference library's data model, over ramps' arrays.

    ``path``: a JWST FITS product (path, URL or file object, as :func:`ramps.open`).
    ``model``: the model class or its name (``"RampModel"`` opens an uncal as
    ``RampModel(path)`` does); default: the class the file's DATAMODL names.
    Other keywords go to the model's constructor (``strict_validation`` ...).

    The model's metadata are those stdatamodels' own loader gives; arrays stored
    as the schema wants them are copy-on-write memory maps of the file (writes
    stay in memory), the others are decoded by ramps' kernels.  See
    :mod:`ramps.bridge.jwst`.
    """
    if _is_asdf(path):
        raise NotImplementedError("Roman ASDF products are not supported by open_model yet")
    from ..product import open as open_product
    from .jwst import product_model

    require("stdatamodels", "jwst")
    with open_product(path) as p:
        return product_model(p, model, **kwargs)


def save(model: Any, path: Union[str, os.PathLike], *, checksum: bool = False,
         overwrite: bool = False, threads: Any = None) -> str:
    """Write a data model to ``path`` through ramps' streaming, atomic FITS writer.

    The file is the one the model's own ``save`` writes (stdatamodels' layout:
    headers, tables, ``extra_fits``, the ASDF extension); the model is updated on
    the way as its ``save`` does (``meta.filename``, ``meta.date``,
    ``meta.model_type``).  ``checksum`` adds DATASUM/CHECKSUM to every HDU;
    ``overwrite=False`` refuses an existing file (FileExistsError).  Returns the
    path written.
    """
    kind = _library(model)
    if kind == "stdatamodels":
        from .jwst_save import save_model

        return save_model(model, path, checksum=checksum, overwrite=overwrite, threads=threads)
    if kind == "roman_datamodels":
        raise NotImplementedError("saving roman_datamodels models is not supported yet")
    raise TypeError(f"ramps.save takes a stdatamodels model, got {type(model).__name__}")


def _library(model: Any) -> str:
    for cls in type(model).__mro__:
        top = cls.__module__.split(".", 1)[0]
        if top in _EXTRA and top in sys.modules:
            return top
    return ""
