"""The structure of an ASDF file: its YAML tree and its block headers, no data.

An ASDF file (ASDF Standard 1.6) is a header line ``#ASDF 1.0.0``, comment
lines, a YAML 1.1 document ending with a line ``...``, then binary blocks,
each::

    magic      4 bytes  b"\\xd3BLK"
    hsize      2 bytes  big-endian: size of the rest of the header (>= 48)
    flags      4 bytes  big-endian; bit 0 = streamed (data to the end of file)
    compression 4 bytes  b"\\0\\0\\0\\0", b"zlib", b"bzp2", b"lz4\\0" ...
    allocated  8 bytes  bytes reserved for the data
    used       8 bytes  bytes of (compressed) data actually used
    data_size  8 bytes  bytes once decompressed
    checksum  16 bytes  MD5 of the used bytes, or zeros
    (hsize - 48 bytes of padding), then the data.

and optionally a block index (``#ASDF BLOCK INDEX`` and a YAML list of
offsets) that this reader does not need: it walks the headers from the first
block, reading 54 bytes per block.  The tree is parsed once, as asdf's YAML
loader parses it but without importing asdf (ramps.asdf.yaml_tree), tags
unconverted: ndarray entries are found by their ``core/ndarray`` tag.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field
from typing import Any


from ramps.asdf import yaml_tree
from ramps.asdf.layout import ArrayInfo, array_info, byte_extent, is_quantity_tag
from ramps.errors import FormatError, TreeTooLargeError, TruncatedFileError
from ramps.sources import ByteSource
from ramps.specs import walk
from ramps.specs.asdf_standard import ASDF_MAGIC, BLOCK_MAGIC, INDEX_HEADER, is_ndarray_tag

__all__ = [
    "ArrayInfo",
    "AsdfIndex",
    "BlockInfo",
    "check_extent",
    "read_index",
]

_HEADER = struct.Struct(">I4sQQQ16s")
_STANDARD = re.compile(rb"^#ASDF_STANDARD[ \t]+(\S+)", re.M)  # 48 bytes after the 2-byte size
_END = re.compile(rb"\r?\n\.\.\.((\r?\n)|$)")
_MAX_TREE = 1 << 28  # no end of the YAML document within 256 MiB: not ASDF
_MAX_BLOCKS = 1 << 16  # asdf's own limit
_STREAMED = 1


@dataclass(frozen=True)
class BlockInfo:
    """One binary block: where its header and data are and how it is stored."""

    index: int
    offset: int  # of the magic
    header_size: int  # after the 2-byte size field
    flags: int
    compression: str | None  # None, "lz4", "zlib", "bzp2", ...
    allocated_size: int
    used_size: int
    data_size: int
    checksum: bytes
    data_offset: int

    @property
    def streamed(self) -> bool:
        return bool(self.flags & _STREAMED)


@dataclass
class AsdfIndex:
    """The tree (tagged, unconverted) and every block and array of one file.

    ``nodes`` is the tree as parsed (ramps.asdf.yaml_tree's containers, no
    asdf import), ``tree`` the same with asdf's tagged containers, converted
    on first use."""

    path: str
    nodes: dict
    tree_end: int
    blocks: list[BlockInfo] = field(default_factory=list)
    arrays: dict[str, ArrayInfo] = field(default_factory=dict)
    #: the ``#ASDF_STANDARD`` of the header lines (None: not given); what asdf
    #: converts the tree's tags with (quantity-1.1.0 and time-1.1.0 are 1.5.0's)
    standard: str | None = None
    tables: list[str] = field(default_factory=list)  # tree paths of table entries
    _tree: dict | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def tree(self) -> dict:
        """The tree with asdf's TaggedDict/TaggedList/TaggedString (imports asdf)."""
        if self._tree is None:
            self._tree = yaml_tree.to_asdf(self.nodes, name=self.path)
        return self._tree

    def block_of(self, info: ArrayInfo) -> BlockInfo:
        """The block holding an array (FormatError naming the array if none)."""
        src = info.source
        if isinstance(src, bool) or not isinstance(src, int):
            raise FormatError(self.path, f"array source {src!r} is not a block of this file",
                              info.path)
        n = len(self.blocks)
        if not -n <= src < n:
            raise FormatError(self.path, f"array source {src} but the file has {n} blocks",
                              info.path)
        return self.blocks[src]


def _fail(path: str, problem: str, where: str | None = None) -> FormatError:
    return FormatError(path, problem, where)


def _read_tree(source: ByteSource) -> tuple[dict, int, str | None]:
    """The YAML tree (tagged), the offset just after it and the standard version."""
    path, size = source.name, source.size
    head = source.read(0, min(size, 5))
    if head != ASDF_MAGIC:
        raise _fail(path, f"not an ASDF file (starts with {head!r}, not {ASDF_MAGIC!r})")
    window = 1 << 14  # grows x4: a remote read of a small tree fetches little block data
    while True:
        blob = source.read(0, min(size, window))
        std = _STANDARD.search(blob, 0, 1 << 12)
        version = std.group(1).decode("ascii", "replace") if std else None
        yaml_at = re.search(rb"(^|\n)(%YAML|---)", blob)
        block_at = blob.find(BLOCK_MAGIC)
        if yaml_at is None or (0 <= block_at < yaml_at.start()):
            if len(blob) == size or 0 <= block_at:  # header lines only: no tree
                end = block_at if block_at >= 0 else len(blob)
                return {}, end, version
        else:
            m = _END.search(blob, yaml_at.start())
            if m is not None:
                return _parse_tree(path, blob[:m.end()]), m.end(), version
        if len(blob) == size:
            raise TruncatedFileError(path, "the YAML tree has no end marker ('...'): "
                                     "the file is truncated inside the tree", "tree")
        if window >= _MAX_TREE:
            raise _fail(path, f"no end of the YAML tree within {_MAX_TREE} bytes", "tree")
        window *= 4


def _parse_tree(path: str, blob: bytes) -> dict:
    try:
        tree = yaml_tree.load(blob, name=path)
    except TreeTooLargeError:
        raise
    except Exception as e:  # yaml and asdf raise many types for corrupt input
        raise _fail(path, f"corrupt YAML tree: {type(e).__name__}: {e}", "tree") from None
    if tree is None:
        return {}
    if not isinstance(tree, dict):
        raise _fail(path, f"the tree is a {type(tree).__name__}, not a mapping", "tree")
    return tree


def _first_block(source: ByteSource, start: int) -> int | None:
    """Offset of the first block magic at or after ``start`` (None: no blocks).
    Windows overlap so that a magic or index header across two is found; they
    start small (the first block usually follows the tree at once, and a remote
    read should not fetch its data) and grow."""
    pos, step, size = start, 1 << 12, source.size
    while pos < size:
        n = min(step + len(INDEX_HEADER), size - pos)
        chunk = source.read(pos, n)
        at, idx = chunk.find(BLOCK_MAGIC), chunk.find(INDEX_HEADER)
        if at >= 0 and (idx < 0 or at < idx):
            return pos + at
        if idx >= 0 or pos + n >= size:
            return None
        pos += step
        step = min(step * 2, 1 << 20)
    return None


def _scan_blocks(source: ByteSource, start: int, names: dict[int, str]) -> list[BlockInfo]:
    path, size = source.name, source.size
    blocks: list[BlockInfo] = []
    pos = _first_block(source, start)
    while pos is not None and pos < size:
        i = len(blocks)
        where = f"block {i}" + (f" ({names[i]})" if i in names else "")
        label = names.get(i, f"block {i}")
        if i >= _MAX_BLOCKS:
            raise _fail(path, f"more than {_MAX_BLOCKS} blocks", where)
        if size - pos < 6:
            raise TruncatedFileError(path, f"the file ends inside the header of {where}", label)
        head = source.read(pos, 6)
        if head[:4] != BLOCK_MAGIC:
            raise _fail(path, f"bad block magic {head[:4]!r} at offset {pos} "
                        f"(expected {BLOCK_MAGIC!r})", label)
        hsize = struct.unpack(">H", head[4:])[0]
        if hsize < _HEADER.size:
            raise _fail(path, f"{where}: header size {hsize} < {_HEADER.size}", label)
        if pos + 6 + hsize > size:
            raise TruncatedFileError(path, f"the file ends inside the header of {where}", label)
        flags, comp, alloc, used, dsize, checksum = _HEADER.unpack(
            source.read(pos + 6, _HEADER.size))
        data_offset = pos + 6 + hsize
        compression = comp.rstrip(b"\0").decode("ascii", "replace") or None
        if flags & _STREAMED:
            if compression is not None:
                raise _fail(path, f"{where}: a streamed block cannot be compressed", label)
            alloc = used = dsize = size - data_offset
        if used > alloc:
            raise _fail(path, f"{where}: uses {used} bytes of {alloc} allocated", label)
        if compression is None and used != dsize:
            raise _fail(path, f"{where}: uncompressed but used size {used} != data size "
                        f"{dsize}", label)
        if data_offset + alloc > size:
            raise TruncatedFileError(
                path, f"{where}: the header claims {alloc} bytes at offset {data_offset} but "
                f"the file ends after {size - data_offset}: truncated?", label)
        blocks.append(BlockInfo(i, pos, hsize, flags, compression, alloc, used, dsize,
                                checksum, data_offset))
        pos = data_offset + alloc
        if flags & _STREAMED or size - pos < 4 or source.read(pos, 4) != BLOCK_MAGIC:
            break  # the block index, padding or the end of the file
    return blocks


_TABLE_TAGS = ("tag:astropy.org:astropy/table/table-", "tag:stsci.edu:asdf/core/table-")


def _find_arrays(file: str, tree: Any, out: dict[str, ArrayInfo], tables: list[str]) -> None:
    """Record every ndarray entry under its path (a quantity's value under the
    quantity's), and the paths of the table entries (astropy or asdf core tables), in
    tree order.  The walk is :func:`ramps.specs.walk.walk`'s: a mapping or list the YAML
    repeats through aliases is walked once, at its first path (a "billion laughs" tree
    of a few KB would otherwise be walked for minutes; a cycle for ever), within the
    node budget shared with the FITS ASDF extension."""
    def visit(node: Any, path: str) -> bool:
        tag = getattr(node, "_tag", None) or ""
        value = node.get("value") if isinstance(node, dict) and is_quantity_tag(tag) else None
        quantity = is_ndarray_tag(getattr(value, "_tag", None))
        if (is_ndarray_tag(tag) and isinstance(node, (dict, list))) or quantity:
            try:
                out[path] = array_info(path, value if quantity else node, quantity)
            except (ValueError, TypeError, KeyError) as e:
                raise _fail(file, f"bad ndarray entry: {e}", path) from None
            return False
        if isinstance(node, dict) and tag.startswith(_TABLE_TAGS):
            tables.append(path)
        return True

    walk.walk(tree, visit, name=file, where="tree")


def read_index(source: ByteSource) -> AsdfIndex:
    """Index an ASDF file: parse the tree once, find its arrays, walk the block
    headers.  FormatError / TruncatedFileError name the file and the array (or
    block, or ``tree``) concerned."""
    tree, tree_end, standard = _read_tree(source)
    arrays: dict[str, ArrayInfo] = {}
    tables: list[str] = []
    _find_arrays(source.name, tree, arrays, tables)
    names: dict[int, str] = {}
    for a in arrays.values():
        if isinstance(a.source, int) and not isinstance(a.source, bool):
            names.setdefault(a.source, a.path)
    blocks = _scan_blocks(source, tree_end, names)
    for i in [k for k in names if k < 0]:
        if -len(blocks) <= i:
            names.setdefault(len(blocks) + i, names[i])
    index = AsdfIndex(source.name, tree, tree_end, blocks, arrays, standard, tables)
    for a in list(arrays.values()):
        if a.inline is not None or a.external:
            continue  # an external file's block is checked when it is read
        blk = index.block_of(a)  # every block an array names exists
        if a.shape[:1] == (-1,):  # streamed: the first axis from the block's size
            row = math.prod(a.shape[1:]) * a.dtype.itemsize
            n = (blk.data_size - a.offset) // row if row else 0
            a = arrays[a.path] = ArrayInfo(a.path, a.dtype, (n,) + a.shape[1:], a.source,
                                           a.offset, a.strides, a.inline, a.quantity)
        check_extent(source.name, a, blk)
    return index


def check_extent(path: str, a: ArrayInfo, blk: BlockInfo) -> None:
    """FormatError naming the array unless its elements (offset and strides
    applied) lie inside the block's data."""
    lo, hi = byte_extent(a)
    if a.offset < 0 or lo < 0 or hi > blk.data_size:
        what = (f"{a.nbytes} bytes at offset {a.offset}" if a.strides is None else
                f"bytes {lo} to {hi} (offset {a.offset}, strides {list(a.strides)}, "
                f"shape {list(a.shape)})")
        raise _fail(path, f"needs {what} of block {blk.index}, which holds "
                    f"{blk.data_size}", a.path)


