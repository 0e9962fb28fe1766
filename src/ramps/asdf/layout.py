"""One ndarray entry of an ASDF tree: its dtype, shape and where its bytes are.

Every layout the ASDF Standard allows (ndarray-1.0.0 / 1.1.0):

* a block of this file (``source: 0``), from ``offset`` bytes into it, with
  ``strides`` (negative too: ``arr[::-1]`` written as a view of its base, the
  offset pointing at the first element);
* an external file (``source: "other.asdf"``, a name relative to this file):
  that file's first block;
* inline: ``data:`` in the entry, or the short form ``!core/ndarray [0, 1, 2]``
  (the entry is the list itself);
* either byte order, and structured (record) datatypes whose fields each have
  their own byte order.

Roman files of roman_datamodels 0.19 and earlier wrap arrays in quantities
(``data: !unit/quantity-1.1.0 {value: !core/ndarray ..., unit: DN}``): the
quantity's value is the array, named by the quantity's path (``data``), as the
model of that generation names it; :attr:`ArrayInfo.quantity` says so.
"""

from __future__ import annotations

import math

from dataclasses import dataclass
from typing import Any

import numpy as np

from ramps.specs.asdf_standard import SCALAR_DATATYPES

__all__ = ["ArrayInfo", "QUANTITY_TAGS", "array_info", "byte_extent", "is_quantity_tag"]

#: The tags of a quantity (asdf's unit schema and astropy's own), any version.
QUANTITY_TAGS = ("tag:stsci.edu:asdf/unit/quantity-", "tag:astropy.org:astropy/units/quantity-")


def is_quantity_tag(tag: object) -> bool:
    return isinstance(tag, str) and tag.startswith(QUANTITY_TAGS)


@dataclass(frozen=True)
class ArrayInfo:
    """One ndarray of the tree: its path, stored dtype (with byte order), shape
    and where its bytes are (a block, an external file, or inline in the tree)."""

    path: str  # "roman/data", "roman/source_catalog/columns/0/data"
    dtype: np.dtype
    shape: tuple[int, ...]
    source: Any  # block index (int), external file name (str) or None (inline)
    offset: int = 0
    strides: tuple[int, ...] | None = None
    inline: Any = None
    quantity: bool = False  # the value of a quantity at ``path`` (old Roman files)

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize  # Python ints: no overflow

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def node_path(self) -> str:
        """The tree path of the ndarray entry itself (``roman/data/value`` for a
        quantity's)."""
        return f"{self.path}/value" if self.quantity else self.path

    @property
    def external(self) -> bool:
        return isinstance(self.source, str)


def byte_extent(info: ArrayInfo) -> tuple[int, int]:
    """The bytes [lo, hi) of its block an array's elements lie in (offset and
    strides applied; negative strides reach below the offset)."""
    if info.size == 0:
        return info.offset, info.offset
    if info.strides is None:
        return info.offset, info.offset + info.nbytes
    lo = hi = info.offset
    for n, s in zip(info.shape, info.strides):
        step = (n - 1) * s
        lo, hi = (lo + step, hi) if step < 0 else (lo, hi + step)
    return lo, hi + info.dtype.itemsize


def _dtype(datatype: Any, byteorder: Any) -> np.dtype:
    order = {"little": "<", "big": ">", None: "="}.get(byteorder)
    if order is None:
        raise ValueError(f"byteorder {byteorder!r} is not 'little' or 'big'")
    if isinstance(datatype, str) and datatype in SCALAR_DATATYPES:
        return np.dtype(order + SCALAR_DATATYPES[datatype])
    if isinstance(datatype, list) and len(datatype) == 2 and datatype[0] in ("ascii", "ucs4"):
        n = int(datatype[1])
        return np.dtype(f"S{n}") if datatype[0] == "ascii" else np.dtype(f"{order}U{n}")
    if isinstance(datatype, list):
        fields = []
        for f in datatype:
            sub = _dtype(f["datatype"], f.get("byteorder", byteorder))
            shape = tuple(int(s) for s in f.get("shape", ()))
            fields.append((str(f.get("name", "")), sub, shape) if shape else
                          (str(f.get("name", "")), sub))
        return np.dtype(fields)
    raise ValueError(f"unsupported datatype {datatype!r}")


def array_info(path: str, node: Any, quantity: bool = False) -> ArrayInfo:
    """The ArrayInfo of one ndarray entry (a mapping, or the short list form);
    ValueError / TypeError / KeyError say what is wrong with it."""
    if isinstance(node, list):  # !core/ndarray [0, 1, 2]: values only, as asdf reads them
        values = np.asarray(node)
        if values.dtype == object:
            raise ValueError("inline data are not a regular array of numbers")
        return ArrayInfo(path, values.dtype, values.shape, None, inline=node, quantity=quantity)
    if "source" in node and "data" in node:
        raise ValueError("both source and data given")
    inline = node.get("data") if "source" not in node else None
    if "source" not in node and inline is None:
        raise ValueError("neither source nor data given")
    if inline is not None and "datatype" not in node:
        dtype = np.asarray(inline).dtype
    else:  # inline data are in native byte order whatever the entry says, as asdf reads them
        dtype = _dtype(node.get("datatype"), node.get("byteorder") if inline is None else None)
    raw_shape = node.get("shape")
    if raw_shape is None and inline is not None:
        raw_shape = list(np.shape(inline))
    if not isinstance(raw_shape, list):
        raise ValueError(f"shape {raw_shape!r} is not a list")
    shape = tuple(-1 if s == "*" else int(s) for s in raw_shape)
    if any(s < -1 for s in shape) or shape.count(-1) > (1 if shape[:1] == (-1,) else 0):
        raise ValueError(f"invalid shape {raw_shape!r}")
    strides = node.get("strides")
    if strides is not None and (not isinstance(strides, list) or len(strides) != len(shape)):
        raise ValueError(f"strides {strides!r} do not match shape {raw_shape!r}")
    source = node.get("source")
    if inline is None and (isinstance(source, bool) or not isinstance(source, (int, str))):
        raise ValueError(f"source {source!r} is neither a block number nor a file name")
    return ArrayInfo(path, dtype, shape, source, int(node.get("offset", 0)),
                     tuple(int(s) for s in strides) if strides else None, inline,
                     quantity)
