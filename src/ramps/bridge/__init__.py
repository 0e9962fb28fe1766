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
from pathlib import Path
from typing import Any

from ramps.products import AsdfProduct, Product
from ramps.products import open as open_product
from ramps.sources.atomic import check_target

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
               storage_options: dict | None = None, library: str | None = None,
               **kwargs: Any) -> Any:
    """Open a product as the reference library's data model, over ramps' arrays.

    ``path``: a JWST FITS product or a Roman ASDF file: a path, a file object, a
    product open in ramps (``ramps.open``: it stays open) or a URL (``s3://``, ``https://`` ..., read by range requests as :func:`ramps.open`
    reads it; ``storage_options`` go to fsspec).  It also takes what the reference
    libraries' ``open`` take: a model (returned as they return it), an association
    file or list (JWST: jwst's ModelContainer, as ``datamodels.open``), a JWST product
    stored as ASDF, an ``asdf.AsdfFile`` (Roman); other inputs raise their TypeError.
    ``model``: the model class or its name (``"RampModel"`` opens an uncal as
    ``RampModel(path)`` does); default: the class the file's DATAMODL (JWST) or
    the ``roman`` node's tag (Roman) names, guessed from the SCI shape as
    ``datamodels.open`` guesses (NoTypeWarning) when there is no DATAMODL.
    ``library``: ``"jwst"`` or ``"roman"`` behaves exactly as
    ``stdatamodels.jwst.datamodels.open`` or ``roman_datamodels.datamodels.open``
    (e.g. a non-Roman ASDF file opens as a JwstDataModel, or raises "is not a roman
    file"); default: the library the input is for.
    Other keywords are those of the library's ``open`` (JWST: ``guess``, and the
    model constructor's; Roman: ``memmap``, ``mode``, ``lazy_tree``); one that ramps
    cannot honour raises a TypeError naming it.

    The model's metadata are those the reference library's own loader gives;
    arrays of a local file stored as they are held are copy-on-write memory maps
    of it (writes stay in memory; Roman ``memmap=True, mode="rw"``: written to the
    file), the others (and every array of a URL) are decoded by ramps' kernels
    (Roman lz4 blocks by ramps' C codec).  See :mod:`ramps.bridge.jwst` and
    :mod:`ramps.bridge.roman`.
    """
    if library not in (None, "jwst", "roman"):
        raise ValueError(f"library must be 'jwst', 'roman' or None, not {library!r}")
    lib = library or _lib_of(path) or _lib_of(model)
    name = os.fspath(path).lower() if isinstance(path, (str, os.PathLike)) else ""
    if name.endswith(".asdf") and lib != "jwst":  # a missing extra is said before the file is opened
        require("roman_datamodels", "roman")
    elif name.endswith((".fits", ".fits.gz", ".fit")) or lib == "jwst":
        require("stdatamodels", "jwst")
    if isinstance(path, (Product, AsdfProduct)):  # an open product: the caller closes it
        return _product_model(path, model, lib, path.path, **kwargs)
    if not isinstance(path, (str, os.PathLike)) or name.endswith(".json") \
            or _lib_of(path):
        other = _other_input(path, lib, **kwargs)
        if other is not NotImplemented:
            return other
    with open_product(path, storage_options=storage_options) as p:
        return _product_model(p, model, lib, path, **kwargs)


def _other_input(init: Any, lib: str, **kwargs: Any) -> Any:
    """What the libraries' ``open`` do with an input that is no file of theirs (a model,
    an association, an AsdfFile, a list ...); NotImplemented: a file ramps reads."""
    if lib == "roman" and hasattr(init, "read"):
        return NotImplemented  # a file object: ramps reads it
    if lib == "roman" or (not lib and _is_asdf_file(init)):
        require("roman_datamodels", "roman")
        from ramps.bridge.roman_open import open_input as roman_input

        return roman_input(init, **kwargs)
    if lib == "jwst" or not hasattr(init, "read"):
        require("stdatamodels", "jwst")
        from ramps.bridge.jwst_open import open_input as jwst_input

        return jwst_input(init, **kwargs)
    return NotImplemented


def _is_asdf_file(obj: Any) -> bool:
    return any(c.__module__.split(".", 1)[0] == "asdf" and c.__name__ == "AsdfFile"
               for c in type(obj).__mro__)


def _product_model(p: Any, model: Any, lib: str | None, init: Any, **kwargs: Any) -> Any:
    if p.format == "asdf" and not lib and "roman" not in p.tree \
            and isinstance(p.tree.get("meta"), dict):
        lib = "jwst"  # a JWST product stored as ASDF (stdatamodels writes a meta node)
    if p.format == "asdf" and lib != "jwst":
        require("roman_datamodels", "roman")
        from ramps.bridge.roman import product_model as roman_model

        return roman_model(p, model, strict=lib == "roman", init=init, **kwargs)
    require("stdatamodels", "jwst")
    from ramps.bridge.jwst import product_model

    return product_model(p, model, **kwargs)


def save(model: Any, path: str | os.PathLike | Any, dir_path: str | os.PathLike | None = None,
         *, checksum: bool | None = None, overwrite: bool = False, threads: Any = None,
         compression: str | None = "lz4", array_storage: str | None = None) -> str:
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

    ``path`` and ``dir_path`` as the model's ``save`` takes them (``path`` may be a
    function of ``meta.filename``; ``dir_path`` replaces its folder).  A JWST model
    saved as ``.asdf`` is written by stdatamodels' ``to_asdf``.  Roman
    ``array_storage``: ``"internal"`` (blocks) or ``"inline"`` (in the tree); default:
    arrays under asdf's ``array_inline_threshold`` (roman_datamodels' 512 elements
    unless set) inline, as roman_datamodels saves.

    ``overwrite=False`` refuses an existing file (FileExistsError).  Returns the
    path written.
    """
    path = _save_path(model, path, dir_path)
    kind = _library(model)
    if kind == "stdatamodels":
        from ramps.bridge.jwst_save import save_model

        if compression not in (None, "lz4") or array_storage is not None:
            raise ValueError("compression and array_storage apply to Roman (ASDF) models only")
        if os.fspath(path).lower().endswith(".asdf"):
            check_target(Path(path), overwrite)
            model.to_asdf(path)
            return os.fspath(path)
        return save_model(model, path, checksum=bool(checksum), overwrite=overwrite,
                          threads=threads)
    if kind == "roman_datamodels":
        from ramps.bridge.roman_save import save_model as save_roman

        return save_roman(model, path, compression=compression, overwrite=overwrite,
                          checksum=checksum, threads=threads, array_storage=array_storage)
    raise TypeError(f"ramps.save takes a stdatamodels or roman_datamodels model, got "
                    f"{type(model).__name__}")


def _save_path(model: Any, path: Any, dir_path: Any) -> str:
    """The file ``model.save(path, dir_path)`` writes."""
    if callable(path):
        path = path(model.meta.filename)
    path = os.fspath(path)
    if dir_path:
        return os.path.join(os.fspath(dir_path), os.path.basename(path))
    return path


def _lib_of(obj: Any) -> str:
    """"jwst" / "roman" for a model (or model class) of the reference libraries, else ""."""
    return _LIB.get(_library(None, obj if isinstance(obj, type) else type(obj)), "")


_LIB = {"stdatamodels": "jwst", "roman_datamodels": "roman"}


def _library(model: Any, cls: Any = None) -> str:
    for cls in (cls or type(model)).__mro__:
        top = cls.__module__.split(".", 1)[0]
        if top in _EXTRA and top in sys.modules:
            return top
    return ""
