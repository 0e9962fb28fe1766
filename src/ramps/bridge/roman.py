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

Unlike ``roman_datamodels.open`` the tree is not validated against its schemas
while opening (``model.validate()`` does it), and ``meta.filename`` is set to
the file's name as roman_datamodels does for a path.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ramps.asdf.index import ArrayInfo
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


def _array_maker(p: Any):
    """info -> the array ramps hands the model (see the module docstring)."""
    cow = None
    if getattr(p.source, "zero_copy", False) and isinstance(p.path, str) and \
            os.path.isfile(p.path):

        cow = copy_on_write_map(p.path)

    def array(info: ArrayInfo) -> np.ndarray:
        if cow is not None and info.inline is None and info.strides is None and info.size:
            blk = p.index.block_of(info)
            if blk.compression is None:
                return np.frombuffer(cow, info.dtype, info.size,
                                     blk.data_offset + info.offset).reshape(info.shape)
        return p.read(p.short_name(info.path), raw=True)
    return array


def tree_with_arrays(p: Any) -> tuple[Any, dict[str, np.ndarray]]:
    """ramps' tagged tree of ``p`` with each ndarray entry replaced by ramps' array;
    returns (tree, {tree path: array})."""
    from asdf.tagged import TaggedDict, TaggedList

    array, index, made = _array_maker(p), p.index, {}

    def walk(node: Any, path: str) -> Any:
        tag = getattr(node, "_tag", None)
        if isinstance(node, dict):
            if is_ndarray_tag(tag):
                made[path] = array(index.arrays[path])
                return made[path]
            out = {k: walk(v, f"{path}/{k}" if path else str(k)) for k, v in node.items()}
            return TaggedDict(out, tag) if tag else out
        if isinstance(node, list):
            items = [walk(v, f"{path}/{i}" if path else str(i)) for i, v in enumerate(node)]
            return TaggedList(items, tag) if tag else items
        return node

    return walk(index.tree, ""), made


def _convert(tree: Any) -> dict:
    """The tagged tree converted by asdf's extensions, as ``asdf.open`` converts it."""
    import asdf
    from asdf.yamlutil import tagged_tree_to_custom_tree

    af = asdf.AsdfFile()
    return tagged_tree_to_custom_tree(tree, af)


def product_model(p: Any, model: Any = None, **kwargs: Any) -> Any:
    """The roman_datamodels model of ASDF product ``p`` (see :mod:`ramps.bridge.roman`).

    ``model``: the class or its name; a class other than the file's is made by
    roman_datamodels' ``create_from_model`` (its own conversion, e.g. a
    ScienceRawModel file as a RampModel).  Keywords go to the model's constructor.
    """
    _rdm()
    if "roman" not in p.tree:
        raise ValueError(f"{p.path}: not a Roman file (no 'roman' node): use asdf.open")
    tree, _ = tree_with_arrays(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # unknown tags: asdf warns as on open
        node = _convert(tree)["roman"]
    own = model_class(None, node)
    cls = model_class(model, node) if model is not None else own
    m = own(node, **kwargs)
    if cls is not own:
        m = cls.create_from_model(m)
    name = _file_name(p.path)
    meta = getattr(m._instance, "get", lambda k: None)("meta")
    if name and meta is not None and "filename" in meta and meta["filename"] != name:
        meta["filename"] = type(meta["filename"])(name)  # as roman_datamodels.open patches it
    return m


def _file_name(path: str | None) -> str | None:
    if not isinstance(path, str) or not path or "://" in path:
        return None
    return Path(path).name
