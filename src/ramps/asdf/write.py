"""Writing Roman products (and plain ASDF files) that roman_datamodels opens.

``write_asdf(path, kind, arrays, meta=...)`` builds the tree (the product's
tag on the ``roman`` node, ``meta`` and one ndarray entry per array, in the
spec's order), then streams every array into its own block: compressed lz4
by default in chunks compressed in parallel by the C core (asdf's chunk
layout, readable by asdf and python-lz4), or zlib / bzp2 / uncompressed;
each block's MD5 is computed in passing, as asdf writes it.  Arrays are read
a batch of chunks at a time (cast to the spec's dtype and little-endian on
the way), so no full-size temporary is made.  The file is written to a
temporary name in the target folder, fsynced and renamed: a reader never
sees a partial file and nothing is left behind on failure.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from ramps.asdf.codecs import LZ4_CHUNK, get_codec
from ramps.asdf.tree import dump_tree, ndarray_node, plain_tree, table_node, tagged_shell
from ramps.errors import FormatError
from ramps.kernels import check_threads
from ramps.kernels.blocks import BLOCK_BYTES
from ramps.sources.atomic import atomic_output
from ramps.specs import walk
from ramps.specs.asdf_standard import BLOCK_MAGIC, INDEX_HEADER
from ramps.specs.roman import GENERIC, RomanProductSpec, get_roman_spec
from ramps import __version__

__all__ = ["COMPRESSIONS", "write_asdf"]

#: Accepted values of ``compression``.
COMPRESSIONS = (None, "lz4", "zlib", "bzp2")
_HEADER = struct.Struct(">HI4sQQQ16s")  # size field + the 48-byte header


def _check_arrays(spec: RomanProductSpec, arrays: Mapping[str, Any]) -> dict[str, Any]:
    """The arrays in spec order, checked: required present, no unknown names,
    number of dimensions, dtypes castable (same kind) to the spec's."""
    unknown = [n for n in arrays if n not in spec.names]
    if unknown:
        raise KeyError(f"{spec.kind}: no array {', '.join(map(repr, unknown))} in the spec; "
                       f"it has {', '.join(spec.names)}")
    missing = [a.name for a in spec.required if a.name not in arrays]
    if missing:
        raise ValueError(f"{spec.kind}: required {', '.join(missing)} missing")
    out: dict[str, Any] = {}
    for a in spec.arrays:
        if a.name not in arrays:
            continue
        value = arrays[a.name]
        if a.table:
            if not hasattr(value, "colnames"):
                raise TypeError(f"{spec.kind}[{a.name}]: expected an astropy Table, got "
                                f"{type(value).__name__}")
            out[a.name] = value
            continue
        arr = value if isinstance(value, np.ndarray) else np.asarray(value)
        if arr.ndim != a.ndim:
            raise ValueError(f"{spec.kind}[{a.name}]: {arr.ndim} dimensions {arr.shape}, "
                             f"expected {a.ndim} ({' x '.join(a.dims)})")
        if arr.dtype != np.dtype(a.dtype) and not np.can_cast(arr.dtype, a.dtype, "same_kind"):
            raise TypeError(f"{spec.kind}[{a.name}]: dtype {arr.dtype} cannot be stored as "
                            f"{a.dtype} without changing its kind")
        out[a.name] = arr
    for a in spec.arrays:
        if a.match and a.name in out and a.match in out and \
                out[a.name].shape != out[a.match].shape:
            raise ValueError(f"{spec.kind}[{a.name}]: shape {out[a.name].shape} differs "
                             f"from {a.match}'s {out[a.match].shape}")
    return out


def _blockify(node: Any, blocks: _BlockWriter) -> Any:
    """A tree with every numpy array (at any depth) replaced by an ndarray entry
    whose data go to a block; tagged containers keep their tags (the walk is
    :func:`ramps.specs.walk.copy`'s: shared nodes stay shared)."""

    def leaf(v: Any) -> Any:
        if isinstance(v, np.ndarray) and v.dtype != object:
            return ndarray_node(blocks.add(v, v.dtype), v.dtype, v.shape)
        return v

    return walk.copy(node, tagged_shell, leaf=leaf, containers=(dict, list, tuple))


def _reader(arr: np.ndarray, stored: np.dtype):
    """get(lo, hi) -> the stored bytes [lo, hi) of arr, converted piecewise."""
    item = stored.itemsize
    flat = arr.reshape(-1) if arr.flags.c_contiguous else None

    def get(lo: int, hi: int) -> np.ndarray:
        i, j = lo // item, hi // item
        part = flat[i:j] if flat is not None else np.asarray(arr.flat[i:j])
        return np.ascontiguousarray(part, dtype=stored).view(np.uint8)

    return get


class _BlockWriter:
    """Appends blocks to an open file: header, streamed data, patched sizes."""

    def __init__(self, f, compression: str | None, threads: int, checksum: bool = True):
        self.f, self.compression, self.threads = f, compression, threads
        self.checksum = checksum
        self.offsets: list[int] = []
        self.pending: list[tuple[np.ndarray, np.dtype]] = []

    def add(self, arr: np.ndarray, dtype: Any) -> int:
        """Queue an array; returns its block number (for the tree)."""
        self.pending.append((arr, np.dtype(dtype).newbyteorder("<")))
        return len(self.pending) - 1

    def write_all(self) -> None:
        for arr, stored in self.pending:
            self._write(arr, stored)

    def _write(self, arr: np.ndarray, stored: np.dtype) -> None:
        f = self.f
        start = f.tell()
        self.offsets.append(start)
        nbytes = int(arr.size) * stored.itemsize
        label = (self.compression or "").encode().ljust(4, b"\0")
        f.write(BLOCK_MAGIC + _HEADER.pack(48, 0, label, 0, 0, nbytes, bytes(16)))
        md5 = hashlib.md5(usedforsecurity=False)
        get = _reader(arr, stored)
        if self.compression is None:
            batches = ([get(lo, min(nbytes, lo + BLOCK_BYTES))] for lo in range(0, nbytes, BLOCK_BYTES))
        else:
            codec = get_codec(self.compression)
            if self.compression == "lz4":  # whole elements per chunk, as asdf cuts them
                item = max(stored.itemsize, 1)
                batches = codec.encode(nbytes, get, self.threads,
                                       chunk=max(LZ4_CHUNK // item, 1) * item)
            else:
                batches = codec.encode(nbytes, get, self.threads)

        def hash_batch(batch: list) -> None:  # MD5 and write release the GIL
            for piece in batch:
                md5.update(piece)

        def write_batch(batch: list) -> int:
            for piece in batch:
                f.write(piece)
            return sum(len(piece) for piece in batch)

        # Batch k is hashed and written (two threads: MD5, at ~0.5 GB/s, is the
        # slowest stage) while k+1 and k+2 compress; a batch's buffer is reused
        # for k+3 (the codec's three buffers), so at most 3 are alive.
        used, inflight = 0, deque()
        with ThreadPoolExecutor(1) as hasher, ThreadPoolExecutor(1) as writer:
            for batch in batches:
                inflight.append((hasher.submit(hash_batch, batch) if self.checksum else None,
                                 writer.submit(write_batch, batch)))
                while len(inflight) > 2:
                    h, w = inflight.popleft()
                    used += w.result()
                    if h is not None:
                        h.result()
            while inflight:
                h, w = inflight.popleft()
                used += w.result()
                if h is not None:
                    h.result()
        end = f.tell()
        f.seek(start + 4)
        digest = md5.digest() if self.checksum else bytes(16)  # zeros: no checksum
        f.write(_HEADER.pack(48, 0, label, used, used, nbytes, digest))
        f.seek(end)

    def write_index(self) -> None:
        lines = "".join(f"- {o}\n" for o in self.offsets)
        self.f.write(INDEX_HEADER + f"\n%YAML 1.1\n---\n{lines}...\n".encode())


#: The roman_datamodels release whose schema tags (rad 1.2) the writer uses.
WRITES_FOR_ROMAN_DATAMODELS = (1, 2)


def check_reader_knows_tags(target: Path) -> None:
    """Refuse to write a Roman product the installed roman_datamodels could not open:
    ramps writes the tags of rad 1.2 (roman_datamodels 1.2), which 1.1 does not know.
    Without roman_datamodels installed, nothing to check."""
    try:
        installed = metadata.version("roman_datamodels")
    except metadata.PackageNotFoundError:
        return
    release = tuple(int(x) for x in re.findall(r"\d+", installed)[:2])
    if release < WRITES_FOR_ROMAN_DATAMODELS:
        raise FormatError(str(target), f"ramps writes Roman products with the schema tags of "
                          f"roman_datamodels 1.2 (rad 1.2); the installed roman_datamodels "
                          f"{installed} could not open them, so nothing is written")


def write_asdf(path: str | os.PathLike, kind: str, arrays: Mapping[str, Any], *,
               meta: Mapping[str, Any] | None = None, compression: str | None = "lz4",
               overwrite: bool = False, threads: int | None = None,
               tree: Mapping[str, Any] | None = None, checksum: bool = True) -> Path:
    """Write a Roman product (or, with ``kind="generic"``, a plain ASDF file).

    Parameters
    ----------
    path
        Target file; its folder must exist.  Written atomically.
    kind
        A Roman kind (``"wfi_science_raw"``, ``"ramp"``, ``"wfi_image"``,
        ``"wfi_mosaic"``, ``"segmentation_map"``, ``"image_source_catalog"``
        ...) or its model class (``"ImageModel"``); ``"generic"`` writes
        ``arrays`` and ``tree`` at the root with no product tag.
    arrays
        name -> numpy array (cast to the spec's dtype when of the same kind:
        float64 -> float16 for ``err`` ...) or astropy Table (catalogs).
    meta
        The product's ``meta`` tree, e.g. ``AsdfProduct.meta`` of another file
        (tags kept), with astropy/gwcs objects allowed.  Required for Roman
        kinds; ``model_type`` and ``filename`` are set as roman_datamodels sets
        them.
    compression
        ``"lz4"`` (default, as roman_datamodels), ``"zlib"``, ``"bzp2"`` or None.
    threads
        Threads compressing lz4 chunks (None: all cores).
    tree
        Extra top-level entries (``"generic"``) or entries beside ``meta``.
    checksum
        Store each block's MD5 (as asdf does; ``asdf.open(validate_checksums=True)``
        checks them).  False leaves the field zero ("none") and saves the hashing.
    """
    from asdf import tagged


    if compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {COMPRESSIONS}, not {compression!r}")
    target = Path(path)
    nthreads = check_threads(threads)
    if kind != GENERIC:
        check_reader_knows_tags(target)
    with atomic_output(target, overwrite) as f:
        blocks = _BlockWriter(f, compression, nthreads, checksum)
        if kind == GENERIC:
            node: dict = dict(_blockify(plain_tree(dict(tree or {}), name=str(target)), blocks))
            for name, arr in arrays.items():
                arr = np.asarray(arr)
                node[name] = ndarray_node(blocks.add(arr, arr.dtype), arr.dtype, arr.shape)
            root: dict = node
        else:
            spec = get_roman_spec(kind)
            checked = _check_arrays(spec, arrays)
            if meta is None:
                raise ValueError(f"{spec.kind}: meta is required (the product's meta tree)")
            m = dict(_blockify(plain_tree(meta, name=str(target)), blocks))
            m["model_type"] = spec.model
            m["filename"] = target.name
            node = {"meta": m, **_blockify(plain_tree(dict(tree or {}), name=str(target)),
                                                blocks)}
            for a in spec.arrays:
                if a.name not in checked:
                    continue
                v = checked[a.name]
                if a.table:
                    node[a.name] = table_node(v, lambda c: blocks.add(c, c.dtype))
                else:
                    node[a.name] = ndarray_node(blocks.add(v, a.dtype), a.dtype, v.shape)
            root = {"roman": tagged.TaggedDict(node, spec.tag)}
        f.write(dump_tree(root, __version__))
        blocks.write_all()
        blocks.write_index()
    return target
