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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ramps.sources.atomic import check_target
from ramps.asdf.write import COMPRESSIONS, write_asdf

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


def _unwrap(node: Any) -> Any:
    """The tagged tree with each held array back as a numpy array and numpy
    scalars as Python numbers (as asdf's YAML writer stores them)."""
    from asdf.tagged import TaggedDict, TaggedList

    if isinstance(node, _Held):
        return np.asarray(node.array)
    if isinstance(node, np.generic):
        return node.item()
    tag = getattr(node, "_tag", None)
    if isinstance(node, dict):
        out = {k: _unwrap(v) for k, v in node.items()}
        return TaggedDict(out, tag) if tag else out
    if isinstance(node, (list, tuple)) and not isinstance(node, str):
        items = [_unwrap(v) for v in node]
        return TaggedList(items, tag) if tag else items
    return node


def tagged_tree(node: Any) -> Any:
    """A roman_datamodels node as asdf would write it, numpy arrays left in place."""
    import asdf
    from asdf.yamlutil import custom_tree_to_tagged_tree

    with asdf.config_context() as cfg:
        cfg.add_extension(_Extension())
        af = asdf.AsdfFile()
        return _unwrap(custom_tree_to_tagged_tree(node, af))


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
               threads: int | None = None) -> str:
    """Save a roman_datamodels model as ``model.save(path)`` would, through ramps'
    ASDF writer.  ``checksum``: store each block's MD5 (default, as asdf does)."""
    from astropy.time import Time


    target = Path(path)
    if target.suffix.lower() != ".asdf":
        raise ValueError(f"{target}: ramps.save writes Roman models as ASDF files (.asdf); "
                         f"use the model's own save for {target.suffix or 'other'} files")
    if compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {COMPRESSIONS}, not {compression!r}")
    check_target(target, overwrite)
    with _temporary(model, "filename", target.name), _temporary(model, "file_date", Time.now()):
        roman = tagged_tree(model._instance)
    write_asdf(target, "generic", {}, tree={"roman": roman}, compression=compression,
               overwrite=overwrite, threads=threads, checksum=checksum is not False)
    return str(target)
