"""Saving a roman_datamodels model through ramps' streaming, atomic ASDF writer.

The tree is the one ``model.save`` writes: the model's ``roman`` node converted
by asdf's extension manager (roman_datamodels' node classes, astropy ``Time``
and units, gwcs ...), with ``meta.filename`` and ``meta.file_date`` updated for
the file and restored on the model afterwards, as roman_datamodels does.  The
arrays never pass through asdf: a converter registered for numpy arrays (in a
private ``asdf.config_context``, taking precedence over asdf's own) defers
them, so they come out of the conversion as they are, and
:func:`ramps.asdf.write.write_asdf` streams each into its own block
(lz4 by default, as roman_datamodels saves, compressed in parallel by the C
core; or zlib, bzp2, uncompressed), MD5 in passing, temp file + fsync + rename.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ramps.sources.atomic import check_target
from ramps.asdf.tree import tagged_shell
from ramps.asdf.write import COMPRESSIONS, write_asdf
from ramps.specs import walk
from ramps.specs.asdf_standard import NDARRAY_TAG

__all__ = ["save_model", "tagged_tree"]


class _Held:
    """An array kept out of asdf's conversion (no converter handles this type)."""

    __slots__ = ("array",)

    def __init__(self, array: Any):
        self.array = array


class _ArrayDeferral:
    """A converter that takes numpy arrays away from asdf's ndarray converter."""

    tags: tuple = ()

    @property
    def types(self) -> list:
        from asdf.tags.core.ndarray import NDArrayType

        return [np.ndarray, np.memmap, NDArrayType]

    def select_tag(self, obj: Any, tags: Any, ctx: Any) -> None:
        return None  # defer: to_yaml_tree returns an object no converter handles

    def to_yaml_tree(self, obj: Any, tag: Any, ctx: Any) -> _Held:
        return _Held(obj)

    def from_yaml_tree(self, node: Any, tag: Any, ctx: Any) -> Any:  # pragma: no cover
        raise NotImplementedError


class _Extension:
    extension_uri = "asdf://ramps/extensions/array-deferral-1.0.0"
    converters = [_ArrayDeferral()]
    tags: list = []


def _inline(arr: np.ndarray) -> Any:
    """An ndarray entry with the values in the tree, as asdf writes an inline array."""
    from asdf.tagged import TaggedDict
    from asdf.tags.core.ndarray import numpy_array_to_list, numpy_dtype_to_asdf_datatype

    dtype, _ = numpy_dtype_to_asdf_datatype(arr.dtype, include_byteorder=False)
    return TaggedDict({"data": numpy_array_to_list(arr), "datatype": dtype,
                       "shape": list(arr.shape)}, NDARRAY_TAG)


def _unwrap(node: Any, inline_below: int) -> Any:
    """The tagged tree with each held array back as a numpy array (or in the tree when
    it has fewer than ``inline_below`` elements) and numpy scalars as Python numbers
    (as asdf's YAML writer stores them); shared nodes stay shared
    (:func:`ramps.specs.walk.copy`)."""

    def leaf(v: Any) -> Any:
        if isinstance(v, _Held):
            arr = np.asarray(v.array)
            return _inline(arr) if arr.size < inline_below else arr
        return v.item() if isinstance(v, np.generic) else v

    return walk.copy(node, tagged_shell, leaf=leaf, containers=(dict, list, tuple))


def _inline_below(storage: str | None) -> int:
    """Arrays with fewer elements are written in the tree: roman_datamodels' default
    (asdf's ``array_inline_threshold`` if set, else 512), or every array / none."""
    import asdf
    from roman_datamodels.datamodels._core import DEFAULT_ARRAY_INLINE_THRESHOLD

    if storage not in STORAGES:
        raise ValueError(f"array_storage must be one of {STORAGES} (ramps.save writes no "
                         f"external blocks), not {storage!r}")
    if storage is not None:
        return sys.maxsize if storage == "inline" else 0
    threshold = asdf.get_config().array_inline_threshold
    return DEFAULT_ARRAY_INLINE_THRESHOLD if threshold is None else threshold


#: The array storages ramps.save writes (None: roman_datamodels' default).
STORAGES = (None, "internal", "inline")


def tagged_tree(node: Any, inline_below: int = 0) -> Any:
    """A roman_datamodels node as asdf would write it, numpy arrays left in place
    (those with fewer than ``inline_below`` elements in the tree)."""
    import asdf
    from asdf.yamlutil import custom_tree_to_tagged_tree

    with asdf.config_context() as cfg:
        cfg.add_extension(_Extension())
        af = asdf.AsdfFile()
        return _unwrap(custom_tree_to_tagged_tree(node, af), inline_below)


def validate(model: Any) -> None:
    """Validate the tree ``model.save`` would write as asdf validates it before writing
    (raises asdf's ValidationError, as ``model.save`` does)."""
    import asdf

    af = asdf.AsdfFile()
    af.tree = {"roman": model._instance}
    af.validate()


@contextmanager
def _temporary(model: Any, key: str, value: Any) -> Iterator[None]:
    """``meta.<key>`` set to ``value`` (cast to the old value's type) for the
    duration, then restored: roman_datamodels' ``_temporary_update``."""
    inst = model._instance
    if "meta" in inst and key in inst.meta:
        old = getattr(inst.meta, key)
        setattr(inst.meta, key, type(old)(value))
        try:
            yield
        finally:
            setattr(inst.meta, key, old)
        return
    yield


def save_model(model: Any, path: str | os.PathLike, *, compression: str | None = "lz4",
               overwrite: bool = False, checksum: bool | None = None,
               threads: int | None = None, array_storage: str | None = None) -> str:
    """Save a roman_datamodels model as ``model.save(path)`` would, through ramps'
    ASDF writer.  ``checksum``: store each block's MD5 (default, as asdf does).
    The tree is validated first, as asdf validates it before writing: a model
    ``model.save`` refuses raises the same error, and no file is written."""
    from astropy.time import Time


    target = Path(path)
    if target.suffix.lower() != ".asdf":
        raise ValueError(f"{target}: ramps.save writes Roman models as ASDF files (.asdf); "
                         f"use the model's own save for {target.suffix or 'other'} files")
    if compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {COMPRESSIONS}, not {compression!r}")
    check_target(target, overwrite)
    inline_below = _inline_below(array_storage)
    walk.check_expansion(model._instance, name=str(target), where="roman")  # asdf walks it
    with _temporary(model, "filename", target.name), _temporary(model, "file_date", Time.now()):
        validate(model)
        roman = tagged_tree(model._instance, inline_below)
    write_asdf(target, "generic", {}, tree={"roman": roman}, compression=compression,
               overwrite=overwrite, threads=threads, checksum=checksum is not False)
    return str(target)
