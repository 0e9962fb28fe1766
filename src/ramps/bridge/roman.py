"""Roman: roman_datamodels models over the arrays ramps decodes.

:func:`product_model` builds the model from ramps' own index of the file: the
YAML tree ramps parsed (tags unconverted) with every ndarray entry replaced by
an array ramps made, then converted by asdf's extension manager exactly as
``asdf.open`` converts it (roman_datamodels' node classes, astropy ``Time``
and units, gwcs objects ...), and wrapped in the model class of the ``roman``
node's tag.  So the metadata are roman_datamodels' own, while no array byte
goes through asdf:

* a block stored uncompressed is a copy-on-write view of a private memory map
  of the file (no copy until written to; writes never reach the file);
* an lz4 block is decoded by ramps' C codec (chunks spread over the cores)
  straight into the model's array; zlib / bzp2 blocks by ramps' stream codecs;
* inline arrays (roman_datamodels writes arrays under 512 elements in the
  tree) are built from the tree's values.

As ``roman_datamodels.open``, the tree is validated against its schemas while
opening when asdf's ``validate_on_read`` is set, and a ``meta.filename`` that
differs from the file's name is replaced by it (FilenameMismatchWarning).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ramps.asdf.index import ArrayInfo
from ramps.asdf.tree import asdf_context, convert_tagged
from ramps.errors import FormatError
from ramps.specs import walk
from ramps.specs.asdf_standard import is_ndarray_tag
from ramps.bridge import require
from ramps.bridge.hdulist import copy_on_write_map

__all__ = ["model_class", "product_model", "tree_with_arrays"]


def _rdm():
    require("roman_datamodels", "roman")
    import roman_datamodels.datamodels as rdm

    return rdm


def model_class(model: Any, node: Any = None) -> type:
    """The roman_datamodels class: ``model`` (a class or its name), else the one
    registered for the type of the converted ``roman`` node."""
    rdm = _rdm()
    from roman_datamodels.datamodels._core import MODEL_REGISTRY

    if isinstance(model, type):
        cls = model
    elif model is not None:
        cls = getattr(rdm, str(model).rsplit(".", 1)[-1], None)
    else:
        cls = MODEL_REGISTRY.get(type(node))
        if cls is None:
            raise TypeError(f"the roman node is a {type(node).__name__}, which no "
                            f"roman_datamodels model holds: pass model= or use asdf.open")
    if not isinstance(cls, type) or not issubclass(cls, rdm.DataModel):
        raise ValueError(f"{model!r} is not a roman_datamodels.datamodels model class")
    return cls


def _array_maker(p: Any, writable: bool = False):
    """info -> the array ramps hands the model (see the module docstring); ``writable``:
    uncompressed blocks are shared maps of the file (``memmap=True, mode="rw"``)."""
    cow = None
    if getattr(p.source, "zero_copy", False) and isinstance(p.path, str) and \
            os.path.isfile(p.path):
        cow = _shared_map(p.path) if writable else copy_on_write_map(p.path)

    def array(info: ArrayInfo) -> np.ndarray:
        if cow is not None and info.inline is None and info.strides is None and \
                not info.external and info.size:
            blk = p.index.block_of(info)
            if blk.compression is None:
                return np.frombuffer(cow, info.dtype, info.size,
                                     blk.data_offset + info.offset).reshape(info.shape)
        return p.read(p.short_name(info.path), raw=True)
    return array


def _shared_map(path: str) -> Any:
    import mmap

    with open(path, "r+b") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_WRITE)


def tree_with_arrays(p: Any, writable: bool = False) -> tuple[Any, dict[str, np.ndarray]]:
    """ramps' tagged tree of ``p`` with each ndarray entry replaced by ramps' array;
    returns (tree, {tree path: array}).  The walk is :func:`ramps.specs.walk.copy`'s:
    nodes the YAML repeats (aliases, cycles) stay shared, within the node budget."""
    from asdf.tagged import TaggedDict, TaggedList

    array, made = _array_maker(p, writable), {}
    entries = {a.node_path: a for a in p.index.arrays.values()}  # a quantity's: its value

    def shell(node: Any, path: str) -> Any:
        tag = getattr(node, "_tag", None)
        if is_ndarray_tag(tag) and isinstance(node, (dict, list)):
            made[path] = array(entries[path])
            return walk.Leaf(made[path])
        if isinstance(node, dict):
            return TaggedDict({}, tag) if tag else {}
        return TaggedList([], tag) if tag else []

    tree = walk.copy(p.index.tree, shell, paths=True, name=p.path, where="tree")
    return tree, made


def _convert(tree: Any, standard: str | None = None) -> dict:
    """The tagged tree converted by asdf's extensions, as ``asdf.open`` converts it:
    with the extensions of the file's ASDF Standard (``standard``)."""
    return convert_tagged(tree, standard)


def product_model(p: Any, model: Any = None, *, strict: bool = False, init: Any = None,
                  memmap: bool = False, mode: str | None = None, lazy_tree: Any = None,
                  **kwargs: Any) -> Any:
    """The roman_datamodels model of ASDF product ``p`` (see :mod:`ramps.bridge.roman`).

    ``model``: the class or its name; a class other than the file's is made by
    roman_datamodels' ``create_from_model`` (its own conversion, e.g. a
    ScienceRawModel file as a RampModel).  Keywords go to the model's constructor.
    ``strict``: the errors of ``roman_datamodels.open`` (a file with no ``roman``
    node or one no model holds); ``init``: what was opened (a path's name replaces a
    differing ``meta.filename``, with roman_datamodels' FilenameMismatchWarning).
    ``memmap``/``mode``: as ``roman_datamodels.open`` takes them (``memmap=True,
    mode="rw"``: writes to uncompressed arrays reach the file); ``lazy_tree`` changes
    nothing here (ramps converts the whole tree once).  With asdf's
    ``validate_on_read`` the file is validated as asdf.open validates it.
    """
    import asdf

    _rdm()
    if mode not in (None, "r", "rw"):
        raise TypeError(f"mode={mode!r}: ramps opens models with mode 'r' or 'rw'")
    if "roman" not in p.tree:
        if strict:
            raise ValueError(f"'{init}' is not a roman file, please use asdf.open")
        raise ValueError(f"{p.path}: not a Roman file (no 'roman' node): use asdf.open")
    if asdf.get_config().validate_on_read:
        _validate_tagged(p.index.tree, p.index.standard)
    tree, _ = tree_with_arrays(p, writable=bool(memmap) and mode == "rw")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # unknown tags: asdf warns as on open
        node = _convert(tree, p.index.standard)["roman"]
    _check_quantities(p, node)
    if strict and model is None:
        _known(node)
    own = model_class(None, node)
    cls = model_class(model, node) if model is not None else own
    m = own(node, **kwargs)
    if cls is not own:
        m = cls.create_from_model(m)
    _patch_filename(m, init if init is not None else p.path)
    m._asdf = _read_file(m._instance)
    return m


def _check_quantities(p: Any, roman: Any) -> None:
    """Refuse a model whose arrays asdf left unconverted: a quantity (the arrays of
    roman_datamodels 0.19 and earlier) of a tag no installed extension converts
    for the file's ASDF Standard would be a raw mapping with no shape."""
    for info in p.index.arrays.values():
        if not info.quantity or not info.path.startswith("roman/"):
            continue
        node = roman
        for part in info.path.split("/")[1:]:
            try:
                node = node[int(part) if isinstance(node, (list, tuple)) else part]
            except (KeyError, IndexError, TypeError, ValueError):
                node = None
                break
        if isinstance(node, dict) and not hasattr(node, "unit"):
            name = p.short_name(info.path)
            raise FormatError(
                p.path, f"{name} is a {_tag_at(p, info.path)} quantity, which the installed "
                f"asdf extensions do not convert in a file of ASDF Standard "
                f"{p.index.standard or '(not given)'}: the model would hold a raw mapping "
                "instead of the array. Open it with the roman_datamodels of its generation "
                "(0.19 or earlier), or read its arrays with ramps.open", name)


def _tag_at(p: Any, path: str) -> str:
    node = p.index.nodes
    for part in path.split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return str(getattr(node, "_tag", None))


def _read_file(instance: Any) -> Any:
    """The model's AsdfFile: ramps has read and closed the file, so closing the model
    marks it closed, as the AsdfFile ``roman_datamodels.open`` gives a model of a file."""
    import asdf

    class ReadFile(asdf.AsdfFile):
        def close(self) -> None:
            super().close()
            self._closed = True

    af = ReadFile()
    af["roman"] = instance
    return af


def _validate_tagged(tagged: Any, standard: str | None = None) -> None:
    """asdf.open's validation of a file's tagged tree (``validate_on_read``)."""
    import asdf.schema

    asdf.schema.validate(tagged, ctx=asdf_context(standard), reading=True)


def _known(node: Any) -> None:
    from roman_datamodels.datamodels._core import MODEL_REGISTRY

    if type(node) not in MODEL_REGISTRY:
        raise TypeError(f"Unknown datamodel type: {_lazy_type(node)}, please use asdf.open "
                        f"for non-roman_datamodels files")


def _lazy_type(node: Any) -> type:
    """The type roman_datamodels.open names for the node: asdf's lazy tree's (it opens
    with ``lazy_tree=True``)."""
    from asdf.lazy_nodes import AsdfDictNode, AsdfListNode
    from asdf.tags.core import NDArrayType

    for kind, lazy in ((dict, AsdfDictNode), (list, AsdfListNode), (np.ndarray, NDArrayType)):
        if isinstance(node, kind):
            return lazy
    return type(node)


class _Tree(dict):
    """The face of an AsdfFile roman_datamodels' ``_patch_meta_filename`` reads."""

    @property
    def tree(self) -> dict:
        return self


def _patch_filename(m: Any, init: Any) -> None:
    """roman_datamodels' own patch of ``meta.filename`` (and its warning) for a path."""
    from roman_datamodels.datamodels._utils import _patch_meta_filename

    if isinstance(init, (str, os.PathLike)) and not isinstance(init, Path):
        init = os.fspath(init)
    _patch_meta_filename(init, _Tree(roman=m._instance))
