"""Dask arrays over products: ``to_dask``, the products' dask face.

:func:`to_dask` turns an array of a product -- an image extension of a FITS product
(or of an :class:`~ramps.products.exposure.Exposure`, across its segments), an
array of a Roman ASDF product -- into a dask array chunked along axis 0 (by
integration; by resultant in a Roman ramp), and along axis 1 too (groups) when one
plane is larger than the chunk limit (:data:`CHUNK_BYTES`).  Each chunk is a task
that opens the file itself by path and decodes that range through the C kernels,
so a graph holds no open product and no data: it pickles to any worker, and a
computed array equals ``p.read(name, ver, dtype=dtype)``.

``ramps.combine_dq(..., dask=True)`` and ``ramps.recompute_err(..., dask=True)``
(:mod:`ramps.ops.quality`) run the kernels over such arrays (:mod:`ramps.kernels.dask`).
"""

from __future__ import annotations

import math
import os
from typing import Any

import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph
from dask.utils import parse_bytes

from ramps.fits.read import decode_range
from ramps.products.api import ASDF
from ramps.products.exposure import Exposure, open_exposure
from ramps.products.open import open as open_product
from ramps.products.roles import role_name

__all__ = ["CHUNK_BYTES", "plan_chunks", "to_dask"]

#: Largest chunk :func:`to_dask` makes by default: whole integrations up to this
#: size, and an integration larger than this is split along its groups.
CHUNK_BYTES = 128 << 20


def _read_block(path: str, name: str, ver: int, dtype: np.dtype, i0: int, i1: int,
                g0: int | None = None, g1: int | None = None) -> np.ndarray:
    """One chunk, read by the task itself: planes [i0, i1) along axis 0 of array (name, ver)
    of the file at ``path`` (FITS or ASDF), or [g0, g1) along axis 1 of plane i0 when g0
    is given."""
    with open_product(path) as p:
        asdf = p.format == ASDF
        if g0 is None:
            lazy = p.lazy(name, dtype=dtype) if asdf else p.lazy(name, ver, dtype)
            return np.asarray(lazy[i0:i1])
        info = p.info(name) if asdf else p.hdu(name, ver)
        tail = tuple(info.shape[2:])
        out = np.empty((1, g1 - g0) + tail, dtype)
        plane = math.prod(tail)
        first, count = (i0 * info.shape[1] + g0) * plane, (g1 - g0) * plane
        if asdf:
            p._decode(info, first, count, out, None)
        else:
            decode_range(p.source, info, first, count, dtype, out, None)
        return out


def _reopenable(path: str) -> str:
    """A path (or URL) a task can open again; products opened from file objects have none."""
    if "://" in path or os.path.isfile(path):
        return os.path.abspath(path) if "://" not in path else path
    raise ValueError(f"{path}: to_dask needs a product opened from a path or URL (each chunk "
                     "is read by a task that opens the file itself)")


def _file_token(path: str) -> Any:
    """What identifies the file's contents in the graph's name (a rewritten file gets new keys)."""
    try:
        st = os.stat(path)
        return (path, st.st_size, st.st_mtime_ns)
    except OSError:
        return path


def plan_chunks(nints: int, shape: tuple[int, ...], itemsize: int,
                chunks: Any = None) -> tuple[list[int], list[int] | None]:
    """(integrations per chunk along axis 0 of one segment of ``nints``, group chunks or None).

    ``shape`` is the extension's shape (axis 0: integrations, axis 1: groups).
    ``chunks``: None (limit :data:`CHUNK_BYTES`), a byte size (``"64MiB"``, an
    int is a count of integrations instead), an int (integrations per chunk),
    or a tuple ``(k,)`` / ``(1, g)``: k integrations, or g groups of one."""
    per_int = math.prod(shape[1:]) * itemsize
    groups: int | None = None
    if chunks is None or isinstance(chunks, str):
        limit = CHUNK_BYTES if chunks is None else parse_bytes(chunks)
        if limit < 1:
            raise ValueError(f"chunk limit must be positive, got {chunks!r}")
        if per_int > limit and len(shape) > 2 and shape[1] > 1:
            k, groups = 1, max(1, limit // max(math.prod(shape[2:]) * itemsize, 1))
        else:
            k = max(1, limit // max(per_int, 1))
    elif isinstance(chunks, (int, np.integer)) and not isinstance(chunks, bool):
        k = int(chunks)
    elif isinstance(chunks, tuple) and 1 <= len(chunks) <= 2:
        k = int(chunks[0])
        if len(chunks) == 2 and len(shape) > 1 and int(chunks[1]) < shape[1]:
            groups = int(chunks[1])
            if k != 1 or groups < 1:
                raise ValueError(f"chunks={chunks!r}: groups are split within one integration "
                                 "only (k must be 1 and g at least 1)")
    else:
        raise TypeError(f"chunks must be None, a byte size string, an int or a tuple (k,) or "
                        f"(1, g); got {chunks!r}")
    if k < 1:
        raise ValueError(f"chunks must hold at least one integration, got {chunks!r}")
    if groups is not None:
        ng = shape[1]
        return [1] * nints, [min(groups, ng - g) for g in range(0, ng, groups)]
    return [min(k, nints - i) for i in range(0, nints, k)] or [0], None


def _entry(p: Any, name: str, ver: int) -> tuple[str, int, np.dtype, tuple[int, ...]]:
    """(name, ver, physical dtype, shape) of an image of FITS or ASDF product ``p``;
    TypeError naming the file for a table."""
    if p.format == ASDF:
        if name in p.tables:
            raise TypeError(f"{p.path}[{name}]: is a table, not an array")
        info = p.info(name)
        return name, 1, info.dtype.newbyteorder("="), tuple(info.shape)
    info = p.hdu(name, ver)
    if info.kind not in ("IMAGE", "PRIMARY"):
        raise TypeError(f"{p.path}[{name},{ver}]: is a {info.kind}, not an image")
    return info.name, info.ver, info.physical_dtype, tuple(info.shape)


def _pieces(obj: Any, name: str, ver: int) -> tuple[list[tuple[str, int]], tuple]:
    """[(path, planes along axis 0)] of each file holding the array, and its
    (name, ver, physical dtype, shape) in the first."""
    if isinstance(obj, Exposure):  # its segments, for an extension along integrations
        pieces = []
        for p, (start, end) in zip(obj.products, obj.ranges):
            shape = p.hdu(name, ver).shape
            if not shape or shape[0] != end - start + 1:
                raise ValueError(f"{p.path}[{name},{ver}]: shape {shape} does not run along the "
                                 f"segment's integrations {start}..{end}; use to_dask on one "
                                 "segment's product for extensions that are not per integration")
            pieces.append((_reopenable(p.path), shape[0]))
        return pieces, _entry(obj.products[0], name, ver)
    entry = _entry(obj, name, ver)
    return [(_reopenable(obj.path), entry[3][0] if entry[3] else 0)], entry


def to_dask(product_or_path: Any, name: str | None = None, *, ver: int = 1, dtype: Any = None,
            chunks: Any = None) -> da.Array:
    """An array of a product as a lazy dask array, each chunk read by a task that opens
    the file.

    Parameters
    ----------
    product_or_path
        A :class:`~ramps.products.fits.Product`, an
        :class:`~ramps.products.asdf.AsdfProduct` (a Roman file: ``data``,
        ``groupdq`` ..., chunked along axis 0 the same way), an
        :class:`~ramps.products.exposure.Exposure` (chunks never straddle
        segments; an extension not along integrations, such as PIXELDQ, is the
        first segment's, as ``exp[name]``), a path or URL, or a list of segment
        paths (opened here only to read their structure).
    name, ver
        The extension (FITS) or array (ASDF); None: the science array (``SCI``,
        ``data`` in a Roman file).
    dtype
        As for ``Product.read``: None gives the physical dtype (uint16 for an
        uncal's SCI), or float32, float64, or the exact integer type.
    chunks
        None: whole integrations up to :data:`CHUNK_BYTES` per chunk, an
        integration larger than that split along its groups; a byte size
        string (``"64MiB"``) for another limit; an int k (k integrations per
        chunk); a tuple ``(1, g)`` (g groups of one integration per chunk).

    Returns
    -------
    dask.array.Array
        Computed, equal to ``p.read(name, ver, dtype=dtype)``.
    """
    if isinstance(product_or_path, (str, os.PathLike)):
        with open_product(product_or_path) as p:
            return to_dask(p, name, ver=ver, dtype=dtype, chunks=chunks)
    if isinstance(product_or_path, (list, tuple)):  # the segments of one exposure

        with open_exposure(product_or_path) as exp:
            return to_dask(exp, name, ver=ver, dtype=dtype, chunks=chunks)
    p = product_or_path
    name = role_name(p, "SCI") if name is None else name
    if isinstance(p, Exposure) and not p.along_nints(name, ver):
        return to_dask(p.products[0], name, ver=ver, dtype=dtype, chunks=chunks)
    pieces, (name, ver, physical, stored_shape) = _pieces(p, name, ver)
    dtype = np.dtype(physical if dtype is None else dtype).newbyteorder("=")
    shape = (sum(n for _, n in pieces),) + stored_shape[1:]
    if not stored_shape or 0 in shape:  # nothing to read
        return da.empty(shape, dtype=dtype, chunks=-1)
    token = "ramps-" + name.lower() + "-" + tokenize(
        [_file_token(p) for p, _ in pieces], name, ver, dtype.str, chunks, shape)
    rest = tuple((n,) for n in shape[1:])
    dsk: dict = {}
    axis0: list[int] = []
    for path, n in pieces:
        counts, groups = plan_chunks(n, (n,) + shape[1:], dtype.itemsize, chunks)
        i0 = 0
        for k in counts:
            b = len(axis0)
            axis0.append(k)
            if groups is None:
                dsk[(token, b) + (0,) * len(rest)] = (_read_block, path, name, ver, dtype,
                                                      i0, i0 + k)
            else:
                g0 = 0
                for j, g in enumerate(groups):
                    dsk[(token, b, j) + (0,) * (len(rest) - 1)] = (
                        _read_block, path, name, ver, dtype, i0, i0 + 1, g0, g0 + g)
                    g0 += g
            i0 += k
    if groups is not None:
        rest = (tuple(groups),) + rest[1:]
    graph = HighLevelGraph.from_collections(token, dsk, dependencies=())
    return da.Array(graph, token, (tuple(axis0),) + rest, dtype=dtype,
                    meta=np.empty((0,) * len(shape), dtype))
