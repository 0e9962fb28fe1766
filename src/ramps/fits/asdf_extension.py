"""The ASDF extension of JWST FITS products, write side: the tree -> the ``ASDF`` BINTABLE.

What ``stdatamodels.fits_support.to_fits`` writes: a one-row BINTABLE ``ASDF``
whose column ``ASDF_METADATA`` (``{n}B``) holds a whole ASDF file.  Its tree is
the caller's ``meta`` tree plus one node per array,
``!core/ndarray-1.1.0 {source: 'fits:SCI,1', datatype: float32, byteorder:
big, shape: [...]}`` (:func:`ndarray_node`), placed at the model attribute of
the extension; the arrays themselves stay in the FITS extensions.

:func:`asdf_blob` emits a tree of plain values directly with libyaml (the asdf
library pays 1-4 s to load its extensions before a first write) and otherwise
writes through asdf; above :data:`FLOW_NODES_ABOVE` array nodes (a 300-slit
MOS file has 2,100) those nodes are written in YAML flow style to spare asdf's
per-node validation.  :func:`copy_tree`, :func:`get_node` and :func:`put_node`
are the tree edits the writer makes.  Reading the extension back is
:mod:`ramps.products.fits`'s.
"""

from __future__ import annotations

import copy
import functools
import io
import json
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np

from ramps.fits.cards import card
from ramps.specs import asdf_standard, walk
from ramps.specs.asdf_standard import is_ndarray_tag

__all__ = [
    "FLOW_NODES_ABOVE",
    "asdf_blob",
    "asdf_table",
    "copy_tree",
    "get_node",
    "ndarray_node",
    "ndarray_tag",
    "put_node",
]


@functools.cache
def ndarray_tag() -> str:
    """The ndarray tag stdatamodels.fits_support uses with this asdf version."""
    import asdf

    newer = asdf.versioning.default_version > "1.5.0"
    return asdf_standard.ndarray_tag("1.1.0" if newer else "1.0.0")


@functools.lru_cache(maxsize=256)
def _asdf_datatype(dtype: np.dtype) -> tuple[Any, str]:
    from asdf.tags.core import ndarray

    return ndarray.numpy_dtype_to_asdf_datatype(dtype, include_byteorder=True,
                                                 override_byteorder="big")


def ndarray_node(name: str, ver: int, dtype: np.dtype, shape: tuple[int, ...]) -> Any:
    """The tree node of an array kept in HDU (name, ver); as
    stdatamodels.fits_support._create_tagged_dict_for_fits_array makes it."""
    from asdf import tagged

    datatype, byteorder = _asdf_datatype(dtype)
    return tagged.TaggedDict(
        {"source": f"fits:{name},{ver}", "shape": list(shape), "datatype": copy.deepcopy(datatype),
         "byteorder": byteorder},
        tag=ndarray_tag(),
    )


def copy_tree(node: Any, *, name: str = "<tree>", where: str | None = "ASDF") -> Any:
    """Copy the containers of a tree, dropping references to FITS arrays (the
    writer links the arrays it writes; any other reference would dangle).  The walk
    is :func:`ramps.specs.walk.copy`'s: repeated nodes stay shared, within the node
    budget; a cycle, which the written extension cannot keep, is a TreeCycleError
    naming the file ``name``."""
    def shell(node: Any, _path: str) -> Any:
        return walk.SKIP if _fits_array_ref(node) else {} if isinstance(node, Mapping) else []

    return walk.copy(node, shell, leaf=lambda v: walk.SKIP if _fits_array_ref(v) else v,
                     containers=(Mapping, list, tuple), cycles="raise", name=name, where=where)


def _fits_array_ref(node: Any) -> bool:
    """An ASDF ndarray entry (tagged dict or asdf NDArrayType) with a ``fits:`` source."""
    if isinstance(node, dict):  # asdf's TaggedDict is a dict with a _tag
        tag = getattr(node, "_tag", None)
        source = node.get("source") if is_ndarray_tag(tag) else None
    else:  # only look at NDArrayType's own attribute: others would load the data
        ndarray = sys.modules.get("asdf.tags.core.ndarray")
        source = node._source if ndarray and isinstance(node, ndarray.NDArrayType) else None
    return isinstance(source, str) and source.startswith("fits:")


def get_node(tree: Any, path: tuple) -> Any:
    """The node at ``path`` (str keys) in ``tree``, or None."""
    for key in path:
        if not isinstance(tree, Mapping) or key not in tree:
            return None
        tree = tree[key]
    return tree


def put_node(tree: dict, path: tuple, value: Any) -> None:
    """Set the node at ``path`` (str keys, int list indices), making containers on the way."""
    for i, key in enumerate(path[:-1]):
        nxt = path[i + 1]
        if isinstance(key, int):
            while len(tree) <= key:
                tree.append({})
            tree = tree[key]
            continue
        child = tree.get(key)
        if child is None:
            child = tree[key] = [] if isinstance(nxt, int) else {}
        elif not isinstance(child, (dict, list)):
            raise ValueError(f"meta: {'.'.join(map(str, path[:i + 1]))} is {child!r}, "
                             f"but must hold {path[i + 1]!r}")
        tree = child
    if isinstance(path[-1], int):
        while len(tree) <= path[-1]:
            tree.append({})
    tree[path[-1]] = value


#: With more ndarray nodes than this in the tree, they are written in YAML flow
#: style (see :func:`asdf_blob`); at or below it asdf writes them itself, block style.
FLOW_NODES_ABOVE = 64


_PLAIN = (str, int, float, bool, type(None))


def _plain_tree(node: Any, ndarray_tag: str) -> bool:
    """True when ``node`` holds only YAML-native values (and ndarray nodes); each
    shared node looked at once (:func:`ramps.specs.walk.walk`)."""
    if not isinstance(node, (dict, list)):
        return type(node) in _PLAIN
    plain = [True]

    def visit(n: Any, _path: str) -> bool:
        if type(n) not in (dict, list) and getattr(n, "_tag", None) != ndarray_tag:
            plain[0] = False
        else:
            items = n.values() if isinstance(n, dict) else n
            plain[0] = plain[0] and all(isinstance(v, (dict, list)) or type(v) in _PLAIN
                                        for v in items)
        return plain[0]

    walk.walk(node, visit)
    return plain[0]


def _asdf_blob_yaml(tree: dict) -> bytes | None:
    """The ASDF file of a plain tree emitted directly with libyaml, or None.

    The asdf library pays 1-4 s in a fresh process to load every installed
    extension (roman_datamodels, asdf-astropy, ...) before its first write;
    a metadata tree of plain values needs none of them.  The file is the
    ASDF standard's layout (``#ASDF`` header lines, ``%YAML 1.1``, the
    ``tag:stsci.edu:asdf/`` handle, a ``core/asdf`` root, ``...``), which
    asdf (and so stdatamodels) reads and validates as usual.  Trees holding
    other objects (astropy Time, numpy scalars ...) return None and go through
    the asdf library."""
    import yaml

    tag = ndarray_tag()
    if not _plain_tree(tree, tag):
        return None
    import asdf.versioning

    Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class _Dumper(Dumper):  # type: ignore[misc, valid-type]
        pass

    def ndarray(dumper: Any, node: Any) -> Any:
        return dumper.represent_mapping(tag, dict(node), flow_style=True)

    _Dumper.add_representer(type(ndarray_node("SCI", 1, np.dtype("f4"), (1,))), ndarray)
    _Dumper.add_representer(_RootTree, lambda d, n: d.represent_mapping(
        "tag:stsci.edu:asdf/core/asdf-1.1.0", dict(n)))
    body = yaml.dump(_RootTree(tree), Dumper=_Dumper, explicit_start=True, explicit_end=True,
                     version=(1, 1), tags={"!": "tag:stsci.edu:asdf/"}, sort_keys=False,
                     default_flow_style=False, allow_unicode=True, width=120)
    standard = str(asdf.versioning.default_version)
    return f"#ASDF 1.0.0\n#ASDF_STANDARD {standard}\n".encode() + body.encode("utf-8")


class _RootTree(dict):
    """The tree's root, emitted with the core/asdf tag."""


def asdf_blob(tree: dict, direct: bool = True) -> bytes:
    """The ASDF file holding ``tree``: emitted directly when it is plain (see
    :func:`_asdf_blob_yaml`) and ``direct``, otherwise written by the asdf library
    (which adds its ``asdf_library`` and ``history`` entries, as stdatamodels' files
    have them).

    asdf validates every tagged node on write (about 0.3 ms per ndarray node,
    no switch in asdf 6), which for a 300-slit MultiSlitModel (2,100 nodes)
    costs a second.  So above :data:`FLOW_NODES_ABOVE` nodes, asdf writes
    the tree with each ndarray node replaced by a unique token, and the
    tokens are then replaced by the node in YAML flow style with the verbatim
    tag: ``!<tag:stsci.edu:asdf/core/ndarray-1.1.0> {"source": "fits:SCI,1",
    ...}``.  The tree is the same (the tests read it back with asdf, which
    validates it); only the YAML layout of those nodes differs.  Should the
    tokens not come back one for one, the plain asdf write is used.
    """
    fast = _asdf_blob_yaml(tree) if direct else None
    if fast is not None:
        return fast
    import asdf

    def dump(t: dict) -> bytes:
        bio = io.BytesIO()
        af = asdf.AsdfFile()
        af.tree = t
        af.write_to(bio)
        return bio.getvalue()

    token, tag = f"RAMPSNDARRAY{os.urandom(8).hex()}N", ndarray_tag()
    nodes: list[Any] = []

    def swap(node: Any, _path: str) -> Any:
        if getattr(node, "_tag", None) == tag and isinstance(node.get("source"), str):
            nodes.append(node)
            return walk.Leaf(f"{token}{len(nodes) - 1}")
        if type(node) is dict or type(node).__name__ == "AsdfObject":  # a model's root
            return type(node)()
        return [] if isinstance(node, list) else walk.Leaf(node)

    light = walk.copy(tree, swap)
    if len(nodes) <= FLOW_NODES_ABOVE:
        return dump(tree)
    parts = re.split(token + r"(\d+)", dump(light).decode("utf-8"))
    if len(parts) != 2 * len(nodes) + 1 or sorted(int(i) for i in parts[1::2]) != list(
            range(len(nodes))):
        return dump(tree)
    out = [parts[0]]
    for i in range(1, len(parts), 2):
        out += [f"!<{tag}> ", json.dumps(dict(nodes[int(parts[i])])), parts[i + 1]]
    return "".join(out).encode("utf-8")


def asdf_table(tree: dict, direct: bool = True) -> tuple[list[str], bytes]:
    """The ASDF BINTABLE holding ``tree``: (header card images, data), as
    stdatamodels.fits_support._create_asdf_hdu writes it (``direct``: see
    :func:`asdf_blob`)."""
    blob = asdf_blob(tree, direct)
    cards = [card("XTENSION", "BINTABLE", "binary table extension"),
             card("BITPIX", 8, "array data type"),
             card("NAXIS", 2, "number of array dimensions"),
             card("NAXIS1", len(blob), "length of dimension 1"),
             card("NAXIS2", 1, "length of dimension 2"),
             card("PCOUNT", 0, "number of group parameters"),
             card("GCOUNT", 1, "number of groups"),
             card("TFIELDS", 1, "number of table fields"),
             card("TTYPE1", "ASDF_METADATA", ""),
             card("TFORM1", f"{len(blob)}B", ""),
             card("EXTNAME", "ASDF", "extension name")]
    return cards, blob
