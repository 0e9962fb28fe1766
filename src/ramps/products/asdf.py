"""`AsdfProduct`: a Roman (or any) ASDF file through the same API as FITS products.

``ramps.open("x.asdf")`` indexes the file (YAML tree parsed once, block
headers walked, no data read) and hands out arrays by their tree names,
relative to the ``roman`` node when there is one (``data``, ``dq``,
``amp33``, ``source_catalog/columns/0/data`` ...; ``/`` separates levels).
Uncompressed blocks are memory-mapped (``p["data"]`` is then a read-only
view); compressed ones are decoded by :mod:`ramps.asdf.codecs` straight into
the caller's buffer, in the caller's dtype: ``p.read("data",
dtype="float32")`` of level 1 uint16 lz4 data converts chunk by chunk, never
holding a full-size uint16 copy.
"""

from __future__ import annotations

import os

from typing import IO, Any, Iterator

import numpy as np

from ramps.asdf.index import ArrayInfo, AsdfIndex, read_index
from ramps.asdf.tree import unit_from_node
from ramps.products.api import ASDF, ExtensionInfo, OpenFile
from ramps.products.asdf_blocks import BlockReader
from ramps.products.asdf_lazy import AsdfLazyArray, read_selection
from ramps.asdf.summary import format_summary
from ramps.sources import ByteSource, open_source
from ramps.specs.meta import Meta, wrap
from ramps.specs.asdf_standard import ASDF_MAGIC
from ramps.specs.problems import Problems, ValidationError
from ramps.specs.roman import GENERIC, RomanProductSpec, spec_for_tag
from ramps.asdf.validate import validate_asdf
from ramps.asdf.checksums import verify

__all__ = ["ExtensionInfo", "AsdfLazyArray", "AsdfProduct", "is_asdf", "open_asdf"]



def is_asdf(head: bytes) -> bool:
    """True when a file's first bytes are the ASDF magic."""
    return head[:len(ASDF_MAGIC)] == ASDF_MAGIC


class AsdfProduct(OpenFile):
    """An ASDF product opened for reading (Roman levels 1-4, reference files ...).

    Attributes: ``path``; ``kind`` (the Roman product kind, e.g.
    ``wfi_science_raw``, or ``generic``); ``model`` (``meta.model_type`` or the
    spec's model class); ``level`` (1-4, None for generic); ``tag``; ``spec``.
    """

    format = ASDF

    def __init__(self, source: ByteSource):
        self._source, self.path = source, source.name
        self._closed = False
        self._index: AsdfIndex = read_index(source)
        nodes = self._index.nodes  # as parsed: asdf is imported only for .tree / .meta
        node = nodes.get("roman")
        self._root = "roman/" if isinstance(node, dict) else ""
        self.tag: str | None = getattr(node, "_tag", None) if self._root else None
        self.spec: RomanProductSpec | None = spec_for_tag(self.tag)
        meta = (node if self._root else nodes).get("meta")
        model = meta.get("model_type") if isinstance(meta, dict) else None
        self.kind = self.spec.kind if self.spec else GENERIC
        self.model = str(model) if model else (self.spec.model if self.spec else None)
        self.level = self.spec.level if self.spec else None
        self._meta: Meta | None = None
        self._blocks = BlockReader(self.path, source, self._index, self.short_name)

    # -- life cycle ---------------------------------------------------------
    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self._index.arrays)} arrays"
        return f"<AsdfProduct {self.kind} {self.path} ({state})>"

    # -- structure ----------------------------------------------------------
    @property
    def source(self) -> ByteSource:
        return self._source

    @property
    def index(self) -> AsdfIndex:
        """The structure index: tree, blocks and arrays (see ramps.asdf.index)."""
        return self._index

    @property
    def tree(self) -> dict:
        """The whole YAML tree, tags unconverted (arrays as their ndarray entries)."""
        return self._index.tree

    asdf_tree = tree

    @property
    def meta(self) -> Meta:
        """The data-model metadata: ``tree["roman"]["meta"]`` (``tree["meta"]``
        outside Roman files), tags unconverted; {} when absent.  A mapping whose keys
        also read as attributes (``p.meta.exposure.type``), as the FITS product's."""
        if self._meta is None:
            node = self._node("")
            meta = node.get("meta", {}) if isinstance(node, dict) else {}
            self._meta = wrap(meta if isinstance(meta, dict) else {})
        return self._meta

    def _full(self, name: str) -> str:
        name = str(name).strip("/")
        if self._root and not name.startswith(self._root) and name != self._root[:-1]:
            return self._root + name
        return name

    def short_name(self, path: str) -> str:
        """A tree path as the product names it (``roman/data`` -> ``data``)."""
        return path[len(self._root):] if self._root and path.startswith(self._root) else path

    def _node(self, name: str, parsed: bool = False) -> Any:
        """A tree node by path: asdf's tagged containers, or with ``parsed`` the
        index's own (read-only use inside ramps: no asdf import)."""
        node: Any = self._index.nodes if parsed else self._index.tree
        for part in [p for p in self._full(name).split("/") if p]:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.lstrip("-").isdigit() and \
                    -len(node) <= int(part) < len(node):
                node = node[int(part)]
            else:
                raise KeyError(f"{self.path}: no {name!r} in the tree (arrays: "
                               f"{', '.join(self.names) or 'none'})")
        return node

    @property
    def names(self) -> list[str]:
        """Every array's name (relative to the ``roman`` node), in tree order."""
        return [self.short_name(p) for p in self._index.arrays]

    @property
    def tables(self) -> list[str]:
        """The names of table entries (astropy or asdf core tables)."""
        return [self.short_name(path) for path in self._index.tables]

    @property
    def extensions(self) -> list[ExtensionInfo]:
        """(name, 1, "IMAGE"/"TABLE", dtype, shape) of every array and table."""
        out = [ExtensionInfo(self.short_name(a.path), 1, "IMAGE", a.dtype.newbyteorder("="), a.shape)
               for a in self._index.arrays.values()]
        for t in self.tables:
            cols = self._node(t, parsed=True).get("columns", [])
            first = f"{t}/columns/0" + ("/data" if cols and self._full(f"{t}/columns/0/data")
                                        in self._index.arrays else "")  # or a quantity
            nrows = self.info(first).shape[:1] if cols else (0,)
            out.append(ExtensionInfo(t, 1, "TABLE", None, nrows))
        return out

    def info(self, name: str | None = None, output: IO[str] | bool | None = None
             ) -> ArrayInfo | list[tuple] | None:
        """With ``name``: the index entry of that array (KeyError naming the arrays
        there are).  Without: print the table of arrays and tables (to ``output``,
        default stdout), as the FITS product prints its HDUs; ``output=False`` returns
        the rows (index, name, type, dtype, shape, compression) instead."""
        if name is None:
            self._check_open()
            rows = [(k, e.name, e.type, e.dtype, e.shape, self._compression(e))
                    for k, e in enumerate(self.extensions)]
            if output is False:
                return rows
            format_summary(self.path, rows, output)
            return None
        info = self._index.arrays.get(self._full(name))
        if info is None:
            raise KeyError(f"{self.path}: no array {name!r} (has "
                           f"{', '.join(self.names) or 'none'})")
        return info

    def _compression(self, e: ExtensionInfo) -> str | None:
        if e.type != "IMAGE":
            return None
        info = self.info(e.name)
        if info.inline is not None:
            return "inline"
        return self._blocks.compression(info)

    def __len__(self) -> int:
        """The number of arrays and tables (``extensions``), as ``len`` of a FITS
        product counts its HDUs."""
        return len(self.extensions)

    def __iter__(self) -> Iterator[ExtensionInfo]:
        return iter(self.extensions)

    def __contains__(self, name: Any) -> bool:
        return isinstance(name, str) and (self._full(name) in self._index.arrays
                                          or name in self.tables)

    # -- arrays -------------------------------------------------------------
    def __getitem__(self, name: str | int) -> Any:
        """An array (a read-only view over the file when stored uncompressed; in the
        stored dtype and byte order, as ``asdf.open`` gives it, where ``read`` gives
        native numbers),
        a table as an astropy Table, or any other tree node as it is; an int is a
        position in ``extensions`` (negative from the end), as FITS HDU numbers."""
        self._check_open()
        if isinstance(name, (int, np.integer)) and not isinstance(name, bool):
            entries = self.extensions
            if not -len(entries) <= name < len(entries):
                raise IndexError(f"{self.path}: no array or table {name} (has "
                                 f"{len(entries)})")
            name = entries[name].name
        path = self._full(name)
        info = self._index.arrays.get(path)
        if info is None:
            if name in self.tables:
                return self.table(name)
            return self._node(name)
        view = self._mapped_view(info)  # as asdf.open hands it out: the stored byte order
        return view if view is not None else self.read(name, dtype=info.dtype)

    def table(self, name: str):
        """A table entry (``source_catalog``) as an astropy Table."""
        from astropy.table import Table

        self._check_open()
        node = self._node(name)
        cols, names, units = [], [], []
        colnames = node.get("colnames") or []
        for i, col in enumerate(node.get("columns", [])):
            where = f"{name}/columns/{i}"
            is_col = isinstance(col, dict) and self._full(f"{where}/data") in self._index.arrays
            cols.append(self.read(f"{where}/data" if is_col else where))  # or a quantity
            names.append(str(col["name"]) if is_col and "name" in col else
                         str(colnames[i]) if i < len(colnames) else f"col{i}")
            units.append(col.get("unit") if isinstance(col, dict) else None)
        table = Table(cols, names=names, copy=False)
        for n, unit in zip(names, units):
            if isinstance(unit, str):  # as asdf-astropy reads a unit tag
                table[n].unit = unit_from_node(unit)
        return table

    def _mapped_view(self, info: ArrayInfo) -> np.ndarray | None:
        return self._blocks.mapped_view(info)

    def read(self, name: str, ver: int = 1, *, dtype: Any = None,
             out: np.ndarray | None = None, raw: bool = False, integrations: Any = None,
             groups: Any = None, threads: int | None = None) -> np.ndarray:
        """Decode a whole array into native numbers in one pass.

        ``dtype``: any numpy dtype the values are cast to (default, and with
        ``raw=True``: the stored dtype in native byte order).  ``out``: a
        C-contiguous array of that dtype and the array's size to fill.
        ``integrations`` / ``groups`` (resultants): an int, a slice or a list of
        indices along axis 0 / 1, as the FITS product's: only those planes are decoded
        (for lz4, only the chunks that hold them); no ``out`` then.
        """
        self._check_open()
        info = self.info(name)
        target = info.dtype.newbyteorder("=") if raw or dtype is None else np.dtype(dtype)
        if integrations is not None or groups is not None:
            return read_selection(self, info, name, target, integrations, groups)
        if out is None:
            out = np.empty(info.shape, target)
        else:
            if out.dtype != target or not out.flags.c_contiguous:
                raise TypeError(f"{self.path}[{name}]: out must be a C-contiguous {target} "
                                f"array, not {out.dtype}")
            if out.size != info.size:
                raise ValueError(f"{self.path}[{name}]: out holds {out.size} elements, the "
                                 f"array {info.size} (shape {info.shape})")
        self._decode(info, 0, info.size, out, threads)
        return out

    def read_planes(self, info: ArrayInfo, start: int, count: int, dtype: np.dtype
                     ) -> np.ndarray:
        self._check_open()
        plane = int(np.prod(info.shape[1:], dtype=np.int64))
        out = np.empty((count,) + tuple(info.shape[1:]), dtype)
        self._decode(info, start * plane, count * plane, out, None)
        return out

    def _decode(self, info: ArrayInfo, first: int, count: int, out: np.ndarray,
                threads: int | None) -> None:
        self._blocks.decode(info, first, count, out, threads)

    def close(self) -> None:
        """Release the file (and its memory map, and the external files it named)."""
        blocks = getattr(self, "_blocks", None)  # None: __init__ failed
        if not self._closed and blocks is not None:
            blocks.close()
        super().close()

    def lazy(self, name: str, dtype: Any = None) -> AsdfLazyArray:
        """A lazy array (default dtype: float32 for integer data, the stored float
        type otherwise)."""
        info = self.info(name)
        if dtype is None:
            dtype = info.dtype.newbyteorder("=") if info.dtype.kind == "f" else np.float32
        return AsdfLazyArray(self, name, dtype)

    def to_dask(self, name: str = "data", *, ver: int = 1, dtype: Any = None,
                chunks: Any = None):
        """An array as a lazy dask array chunked along axis 0, each chunk read by a task
        that opens the file (see :func:`ramps.products.dask.to_dask`)."""
        from ramps.products.dask import to_dask

        return to_dask(self, name, ver=ver, dtype=dtype, chunks=chunks)

    @property
    def sci(self) -> AsdfLazyArray:
        """``data`` as a lazy float32 (or stored float) array: ``p.sci[i]`` decodes
        resultant ``i`` only."""
        return self.lazy("data")

    # -- checks -------------------------------------------------------------
    def validate(self, strict: bool = False) -> Problems:
        """Check the file against the spec of its kind (required arrays present, dtypes,
        dimensions, shapes that must equal another's): :class:`~ramps.specs.problems.Problems`
        naming the file and the array, all errors; ``strict`` raises ValidationError."""

        self._check_open()
        problems = validate_asdf(self)
        if strict and problems.errors:
            raise ValidationError.from_problems(problems)
        return problems

    def verify_checksums(self, *, required: bool = False) -> list[tuple[int, bool | None]]:
        """Check each block's MD5 against its bytes (see ramps.asdf.checksums.verify)."""

        self._check_open()
        return verify(self, required=required)

    def header(self, name: Any = 0, ver: int = 1) -> None:
        """None: an ASDF file has no headers (the interface's member, as FITS products have)."""
        self._check_open()
        return None

    def open_asdf(self):
        """The file through the asdf library with every tag converted (slow to import)."""
        import asdf

        return asdf.open(self.path, lazy_load=True, memmap=False)


def open_asdf(path: str | os.PathLike | Any, *, checksum: bool = False) -> AsdfProduct:
    """Open an ASDF file (a path, a binary file object or a ByteSource);
    ``checksum=True`` verifies every block's MD5 first (ramps.ChecksumError)."""
    source = open_source(path)
    try:
        p = AsdfProduct(source)
        if checksum:
            p.verify_checksums()
        return p
    except BaseException:
        source.close()
        raise
