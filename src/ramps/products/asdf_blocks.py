"""Where an ASDF array's bytes come from, and how they become the caller's array.

:class:`BlockReader` serves :class:`~ramps.products.asdf.AsdfProduct`: for each
array (a :class:`~ramps.asdf.layout.ArrayInfo`) it finds the block (of the file,
or the first block of an external file), and

* maps it when it is stored uncompressed: a read-only view, ``offset`` and
  ``strides`` (negative too) applied, in the stored dtype and byte order, as
  ``asdf.open`` hands it out;
* otherwise decodes it with :mod:`ramps.asdf.codecs` straight into the
  caller's buffer, in the caller's dtype (a compressed strided view decodes
  only the bytes its elements span, then takes them);
* builds inline arrays from the tree's values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ramps.asdf.codecs import DecodeError, Target, get_codec
from ramps.asdf.external import ExternalBlocks
from ramps.asdf.index import AsdfIndex, BlockInfo, check_extent
from ramps.asdf.layout import ArrayInfo, byte_extent
from ramps.errors import FormatError
from ramps.sources import ByteSource

__all__ = ["BlockReader", "inline_values"]


class BlockReader:
    """The blocks of one opened ASDF file (and of the external files it names)."""

    def __init__(self, path: str, source: ByteSource, index: AsdfIndex, short: Any):
        self.path, self._source, self._index, self._short = path, source, index, short
        self._chunks: dict[tuple[str, int], tuple] = {}
        self._external = ExternalBlocks(path)

    def close(self) -> None:
        self._external.close()

    def locate(self, info: ArrayInfo) -> tuple[ByteSource, BlockInfo]:
        """The source and block holding an array (an external file's are checked
        here: the array must lie inside that block)."""
        if not info.external:
            return self._source, self._index.block_of(info)
        where = self._short(info.path)
        source, blk = self._external.block(info.source, where)
        try:
            check_extent(self.path, info, blk)
        except FormatError as e:
            raise FormatError(self.path, f"external file {source.name!r}: {e.problem}",
                              where) from None
        return source, blk

    def compression(self, info: ArrayInfo) -> str | None:
        return self.locate(info)[1].compression

    def mapped_view(self, info: ArrayInfo) -> np.ndarray | None:
        """A read-only view of an array stored uncompressed (None otherwise)."""
        if info.inline is not None:
            return None
        source, blk = self.locate(info)
        if blk.compression is not None:
            return None
        if info.strides is None:
            view = source.view(blk.data_offset + info.offset, info.nbytes)
            return view.view(info.dtype).reshape(info.shape)
        lo, hi = byte_extent(info)
        span = source.view(blk.data_offset + lo, hi - lo)
        return np.ndarray(info.shape, info.dtype, span, info.offset - lo, info.strides)

    def decode(self, info: ArrayInfo, first: int, count: int, out: np.ndarray,
               threads: int | None) -> None:
        """Elements ``[first, first + count)`` (C order) of an array into ``out``."""
        flat = out.reshape(-1)
        if count == 0:
            return
        where = self._short(info.path)
        if info.inline is not None:
            try:
                values = inline_values(info.inline, info.dtype, len(info.shape)).reshape(-1)
            except (ValueError, TypeError) as e:
                raise FormatError(self.path, f"inline data are not {info.shape} values of "
                                  f"{info.dtype}: {e}", where) from None
            if values.size != info.size:
                raise FormatError(self.path, f"inline data hold {values.size} values, the "
                                  f"shape {info.shape} {info.size}", where)
            np.copyto(flat, values[first:first + count], casting="unsafe")
            return
        source, blk = self.locate(info)
        nthreads = 0 if threads is None else int(threads)
        if info.strides is not None:  # a view with strides: take its elements
            view = self.mapped_view(info)
            if view is None:  # compressed: decode the bytes the elements span
                lo, hi = byte_extent(info)
                span = np.empty(hi - lo, np.uint8)
                self.decode_block(source, blk, Target(span, np.dtype(np.uint8), lo),
                                  nthreads, where)
                view = np.ndarray(info.shape, info.dtype, span, info.offset - lo, info.strides)
            np.copyto(flat, view.reshape(-1)[first:first + count], casting="unsafe")
            return
        item = info.dtype.itemsize
        lo = info.offset + first * item
        if blk.compression is None:
            stored = source.view(blk.data_offset + lo, count * item).view(info.dtype)
            np.copyto(flat, stored, casting="unsafe")
            return
        self.decode_block(source, blk, Target(flat, info.dtype, lo), nthreads, where)

    def decode_block(self, source: ByteSource, blk: BlockInfo, target: Target, threads: int,
                     where: str) -> None:
        try:
            codec = get_codec(blk.compression)
            if blk.compression is None:  # uncompressed: the bytes as they are
                raw = source.view(blk.data_offset, blk.data_size)
                target.put(target.lo, raw[target.lo:target.hi])
                return
            comp = source.view(blk.data_offset, blk.used_size)
            if blk.compression != "lz4":
                codec.decode(comp, blk.data_size, target, threads, None)
                return
            key = (source.name, blk.index)
            chunks = self._chunks.get(key)
            if chunks is None:
                chunks = self._chunks[key] = codec.chunks(comp)
            # a mapped file: C drops each chunk's pages once decoded
            codec.decode(comp, blk.data_size, target, threads, chunks, lambda a, b:
                         source.release(blk.data_offset + a, b - a),
                         mapped=bool(getattr(source, "zero_copy", False)))
        except DecodeError as e:
            name = "" if source is self._source else f"external file {source.name!r}, "
            raise FormatError(self.path, f"{name}block {blk.index}: {e}", where) from None


def inline_values(data: Any, dtype: np.dtype, ndim: int) -> np.ndarray:
    """An inline array's values.  Records are lists in the tree: those at depth
    ``ndim`` become tuples (asdf guesses the depth from the first row and fails
    when a table has as many rows as fields)."""
    if dtype.fields is None:
        return np.asarray(data, dtype=dtype)

    def records(node: Any, depth: int) -> Any:
        if depth == 0:
            return tuple(node) if isinstance(node, list) else node
        return [records(x, depth - 1) for x in node]

    return np.asarray(records(data, ndim), dtype=dtype)
