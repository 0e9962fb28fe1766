"""Building and dumping the YAML tree of an ASDF file ramps writes.

The tree is made of plain Python values and asdf's tagged containers
(``TaggedDict``/``TaggedList``/``TaggedString``: what ``AsdfProduct.meta``
hands out), dumped with asdf's YAML dumper, so tags read from a file are
written back as they were without loading any asdf extension.  Values that
are neither (astropy ``Time``, units, gwcs objects a caller put in ``meta``)
go through asdf's converters, which load the installed extensions once.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from ramps.errors import InputError
from ramps.specs import walk
from ramps.specs.asdf_standard import DATATYPE_NAMES, FILE_HEADER, NDARRAY_TAG, is_ndarray_tag
__all__ = [
    "ROOT_TAG",
    "asdf_context",
    "convert_tagged",
    "dump_tree",
    "ndarray_node",
    "plain_tree",
    "table_node",
    "unit_from_node",
    "unit_node",
]

ROOT_TAG = "tag:stsci.edu:asdf/core/asdf-1.1.0"
SOFTWARE_TAG = "tag:stsci.edu:asdf/core/software-1.0.0"
TABLE_TAG = "tag:astropy.org:astropy/table/table-1.3.0"
COLUMN_TAG = "tag:stsci.edu:asdf/table/column-1.2.0"
UNIT_TAG = "tag:stsci.edu:asdf/unit/unit-1.0.0"
ASTROPY_UNIT_TAG = "tag:astropy.org:astropy/units/unit-1.0.0"
MAGUNIT_TAG = "tag:astropy.org:astropy/units/magunit-1.1.0"


def _tagged():
    from asdf import tagged

    return tagged


def tagged_shell(node: Any, _path: str = "") -> Any:
    """An empty container of ``node``'s kind keeping its tag (asdf's TaggedDict /
    TaggedList when tagged): the shell :func:`ramps.specs.walk.copy` fills."""
    tag = getattr(node, "_tag", None)
    if isinstance(node, dict):
        return _tagged().TaggedDict({}, tag) if tag else {}
    return _tagged().TaggedList([], tag) if tag else []


def asdf_context(standard: str | None = None) -> Any:
    """An AsdfFile of a file's ASDF Standard (``#ASDF_STANDARD``; asdf's default when
    None or not one asdf knows): the extensions asdf.open converts that file with
    (a 1.5.0 file's quantity-1.1.0 and time-1.1.0 tags are converted by the 1.5.0
    extensions only)."""
    import asdf
    from asdf.versioning import supported_versions

    known = {str(v) for v in supported_versions}
    return asdf.AsdfFile(version=standard) if standard in known else asdf.AsdfFile()


def convert_tagged(tree: Any, standard: str | None = None) -> Any:
    """A tagged tree converted by asdf's extensions, as ``asdf.open`` converts the
    tree of a file of that ASDF Standard."""
    from asdf.yamlutil import tagged_tree_to_custom_tree

    return tagged_tree_to_custom_tree(tree, asdf_context(standard))


def datatype(dtype: np.dtype) -> Any:
    """The ASDF ``datatype`` of a numpy dtype (scalars, fixed strings, records)."""
    dtype = np.dtype(dtype)
    if dtype.fields:
        return [{"name": n, "datatype": datatype(dtype.fields[n][0]),
                 "byteorder": "big" if dtype.fields[n][0].byteorder == ">" else "little"}
                for n in dtype.names]
    if dtype.kind == "S":
        return ["ascii", dtype.itemsize]
    if dtype.kind == "U":
        return ["ucs4", dtype.itemsize // 4]
    key = dtype.str[1:] if dtype.kind != "b" else "?"
    if key not in DATATYPE_NAMES:
        raise TypeError(f"dtype {dtype} cannot be stored in ASDF")
    return DATATYPE_NAMES[key]


def ndarray_node(source: int, dtype: np.dtype, shape: tuple[int, ...]) -> Any:
    """The tree entry of an array stored in block ``source`` (little-endian)."""
    dtype = np.dtype(dtype).newbyteorder("<")  # blocks are written little-endian
    return _tagged().TaggedDict({"source": int(source), "datatype": datatype(dtype),
                                 "byteorder": "little", "shape": [int(s) for s in shape]},
                                NDARRAY_TAG)


def table_node(table: Any, add_block) -> Any:
    """An astropy Table as asdf-astropy writes it; each column's data goes to a
    block through ``add_block(array) -> source``."""
    tagged = _tagged()
    columns = []
    for name in table.colnames:
        col = table[name]
        data = np.asarray(col)
        node = {"data": ndarray_node(add_block(data), data.dtype, data.shape), "name": name}
        unit = getattr(col, "unit", None)
        if unit is not None:
            node["unit"] = unit_node(unit)
        if col.description:
            node["description"] = str(col.description)
        columns.append(tagged.TaggedDict(node, COLUMN_TAG))
    return tagged.TaggedDict({"colnames": list(table.colnames), "columns": columns,
                              "qtable": False}, TABLE_TAG)


def unit_node(unit: Any) -> Any:
    """An astropy unit as asdf-astropy tags it: magnitudes with the magunit tag,
    VOUnit-expressible units with the ASDF unit tag, others with astropy's."""
    import warnings

    import astropy.units as u

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", u.UnitsWarning)
        if isinstance(unit, u.MagUnit):
            text, tag = unit.physical_unit.to_string(), MAGUNIT_TAG
        else:
            try:
                text, tag = unit.to_string(format="vounit"), UNIT_TAG
            except (u.UnitsError, ValueError):
                text, tag = unit.to_string(), ASTROPY_UNIT_TAG
    node = _tagged().TaggedString(text)
    node._tag = tag
    return node


def unit_from_node(node: Any) -> Any:
    """The astropy unit of a tagged unit string (the inverse of unit_node)."""
    import warnings

    import astropy.units as u

    tag = str(getattr(node, "_tag", "") or "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", u.UnitsWarning)
        fmt = {"format": "vounit"} if "stsci.edu" in tag else {}
        unit = u.Unit(str(node), parse_strict="silent", **fmt)
        return u.mag(unit) if "/magunit-" in tag else unit


def _is_plain(node: Any) -> bool:
    """Plain values only (str keys; numpy arrays the writer stores in blocks)."""
    def leaf_ok(v: Any) -> bool:
        if v is None or isinstance(v, (str, bool, int, float)):
            return True
        return isinstance(v, np.ndarray) and v.dtype != object

    plain = [True]

    def visit(n: Any, _path: str) -> bool:
        if isinstance(n, dict):
            ok = all(isinstance(k, str) and (isinstance(v, (dict, list)) or leaf_ok(v))
                     for k, v in n.items())
        else:
            ok = all(isinstance(v, (dict, list)) or leaf_ok(v) for v in n)
        plain[0] = plain[0] and ok
        return plain[0]

    if not isinstance(node, (dict, list)):
        return leaf_ok(node)
    walk.walk(node, visit)
    return plain[0]


def _block_refs(node: Any) -> str | None:
    found: list[str] = []

    def visit(n: Any, path: str) -> bool:
        if found:
            return False
        if isinstance(n, dict) and is_ndarray_tag(getattr(n, "_tag", "") or "") and \
                "source" in n:
            found.append("/" + path)
            return False
        return True

    walk.walk(node, visit)
    return found[0] if found else None


def plain_tree(meta: Any, *, name: str = "<tree>") -> Any:
    """``meta`` as plain values and tagged containers: numpy scalars become Python
    numbers, numpy arrays stay (the writer stores them in blocks); other objects
    are converted by asdf's extensions (loaded only then).  Refuses ndarray
    entries that point at blocks of another file.  The walks are
    :mod:`ramps.specs.walk`'s: repeated nodes stay shared (YAML aliases in the file
    written); a cycle is a TreeCycleError naming ``name`` (the file written)."""
    def shell(node: Any, _path: str) -> Any:
        if isinstance(node, dict):
            tag = getattr(node, "_tag", None)
            return _tagged().TaggedDict({}, tag) if tag else {}
        return walk.Leaf(node) if hasattr(node, "_tag") else []

    node = walk.copy(meta, shell, leaf=lambda v: v.item() if isinstance(v, np.generic) else v,
                     keys=str, containers=(dict, list, tuple), cycles="raise", name=name,
                     where="meta")
    if not _is_plain(node):
        import asdf
        from asdf.yamlutil import custom_tree_to_tagged_tree

        node = custom_tree_to_tagged_tree(node, asdf.AsdfFile())
    ref = _block_refs(node)
    if ref:
        raise InputError(f"meta{ref} is an array stored in a block of another file; "
                         "pass its values (numpy array) instead")
    return node


def dump_tree(tree: dict, version: str) -> bytes:
    """The file's header lines and YAML document (ending with ``...``)."""
    import yaml
    from asdf.yamlutil import AsdfDumper

    root = dict(tree)
    root.setdefault("asdf_library", _tagged().TaggedDict(
        {"author": "ramps", "homepage": "https://pypi.org/project/ramps/", "name": "ramps",
         "version": version}, SOFTWARE_TAG))
    root = _tagged().TaggedDict({"asdf_library": root.pop("asdf_library"), **root}, ROOT_TAG)
    buf = io.BytesIO()
    buf.write(FILE_HEADER)
    yaml.dump_all([root], stream=buf, Dumper=AsdfDumper, explicit_start=True,
                  explicit_end=True, version=(1, 1), allow_unicode=True, encoding="utf-8",
                  tags={"!": "tag:stsci.edu:asdf/"})
    return buf.getvalue()
