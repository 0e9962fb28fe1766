"""Roman: what ``roman_datamodels.datamodels.open`` does with an input that is no file
for ramps to read: a model (a shallow copy), an ``asdf.AsdfFile`` (its tree is already
in memory: roman_datamodels' own ``open`` builds the model), an association (``.json``:
romancal's ModelLibrary) and the inputs it refuses, with its errors."""

from __future__ import annotations

import os
from typing import Any

import asdf
import roman_datamodels.datamodels as rdm
from roman_datamodels.datamodels._utils import rdm_open

__all__ = ["open_input"]


def open_input(init: Any, memmap: bool = False, **kwargs: Any) -> Any:
    """The model ``roman_datamodels.open(init, memmap, **kwargs)`` returns for ``init``
    (not a file path: ramps reads those); TypeError for what it refuses."""
    if isinstance(init, (str, os.PathLike)) and os.fspath(init).lower().endswith(".json"):
        try:
            from romancal.datamodels.library import ModelLibrary
        except ImportError as err:
            raise ImportError("Please install romancal to allow opening associations with "
                              "roman_datamodels") from err
        return ModelLibrary(init)
    if isinstance(init, rdm.DataModel):
        return init.copy(deepcopy=False)
    if isinstance(init, asdf.AsdfFile):
        return rdm_open(init, memmap=memmap, **kwargs)
    raise TypeError("Open requires a filepath, file-like object, or Roman datamodel")
