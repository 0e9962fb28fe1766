"""JWST: what ``stdatamodels.jwst.datamodels.open`` does around the model ramps builds:
the class it guesses for a file without DATAMODL (stdatamodels' own rules, read from
ramps' index instead of an astropy HDUList), the NoTypeWarning it gives then, the
inputs that are no file (a model, an association, a list) and those it refuses, and a
JWST product stored as a plain ASDF file."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asdf
from astropy.io import fits
from stdatamodels.jwst import datamodels as dm
from stdatamodels.jwst.datamodels import util

from ramps.bridge.roman import _convert, tree_with_arrays

__all__ = ["guess_class", "open_asdf_product", "open_input", "warn_no_type"]


class _HDUs:
    """The face of an HDUList stdatamodels' class guessing reads (``[0].header``, a
    KeyError for a missing extension), over ramps' index of the file."""

    def __init__(self, p: Any):
        self.p = p

    def __bool__(self) -> bool:
        return True

    def __getitem__(self, key: Any) -> Any:
        if key == 0:
            return SimpleNamespace(header=self.p.header(0))
        if key not in self.p:
            raise KeyError(key)
        return self.p.hdu(key)


def _defined(name: Any) -> type | None:
    from stdatamodels.jwst.datamodels import _defined_models

    return _defined_models.get(name) if name is not None else None


def guess_class(p: Any, guess: bool = True) -> tuple[type, bool]:
    """(the class ``datamodels.open`` opens FITS product ``p`` as, whether DATAMODL named
    it): DATAMODL, else a ramp (4-D SCI, no DQ), a reference file (REFTYPE) or the class
    of the SCI shape, as stdatamodels guesses."""
    cls = _defined(p.model)
    if cls is not None:
        return cls, True
    if not guess:
        raise TypeError("Model type is not specifically defined and guessing has been disabled.")
    hdus = _HDUs(p)
    shape = tuple(p.hdu(("SCI", 1)).shape or ()) if ("SCI", 1) in p else ()
    for rule in (util._class_from_ramp_type, util._class_from_reftype, util._class_from_shape):
        cls = rule(hdus, shape)
        if cls is not None:
            return cls, False
    raise TypeError("Can't determine datamodel class from argument to open")


def warn_no_type(model: Any, file_name: Any) -> None:
    """stdatamodels' NoTypeWarning (and removal of meta.model_type) for a guessed class."""
    util._handle_missing_model_type(model, file_name)


def open_input(init: Any, guess: bool = True, **kwargs: Any) -> Any:
    """What ``datamodels.open(init)`` returns for an input that is no file for ramps to
    read: a model (a shallow copy), an association or list (jwst's ModelContainer);
    TypeError for the inputs it refuses, with its message."""
    if isinstance(init, dm.JwstDataModel):
        return init.__class__(init, **kwargs)
    if isinstance(init, (str, os.PathLike)):  # an association file (.json)
        return _container(init, "Cannot open an association file without the jwst package "
                                "installed", **kwargs)
    if util.is_association(init) or (isinstance(init, (list, tuple)) and not isinstance(
            init, (bytes, tuple, fits.HDUList))):
        return _container(init, "Cannot open an association without the jwst package "
                                "installed", **kwargs)
    raise TypeError(f"Unsupported type for init argument to open {type(init)}")


def _container(init: Any, missing: str, **kwargs: Any) -> Any:
    try:
        from jwst.datamodels import ModelContainer
    except ImportError as err:
        raise ValueError(missing) from err
    return ModelContainer(init, **kwargs)


def open_asdf_product(p: Any, model: Any = None, guess: bool = True, **kwargs: Any) -> Any:
    """The stdatamodels model of a JWST product stored as ASDF (ramps' arrays in the
    tree): the class its ``meta.model_type`` names, else a JwstDataModel with
    NoTypeWarning, as ``datamodels.open`` opens it."""
    tagged, _ = tree_with_arrays(p)
    af = asdf.AsdfFile()
    af.tree = _convert(tagged, p.index.standard)
    meta = af.tree.get("meta")
    named = _defined(meta.get("model_type") if isinstance(meta, dict) else None)
    if model is not None:
        named = model if isinstance(model, type) else getattr(dm, str(model).rsplit(".")[-1])
    if named is None and not guess:
        raise TypeError("Model type is not specifically defined and guessing has been disabled.")
    m = (named or dm.JwstDataModel)(af, **kwargs)
    if named is None:
        warn_no_type(m, Path(p.path).name if isinstance(p.path, str) else None)
    return m
