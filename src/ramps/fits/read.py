"""Reading FITS data units: the bytes of an image HDU decoded into native arrays.

:func:`decode_range` is the one loop every whole-extension read goes through
(``Product.read``, lazy planes, the ERR fallback): blocks of the memory map are
decoded by the C kernels into the caller's buffer and their pages released once
consumed (see :mod:`ramps.kernels.blocks`).  :func:`read_image` and :func:`image_view`
are whole-image reads with astropy's rule for empty images: an image HDU with
NAXIS = 0 has no data (None, as ``hdul[i].data``); one with an axis of length 0
is an empty array of its shape.  Neither reads a byte of the file.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ramps import kernels
from ramps.errors import FormatError
from ramps.fits import compressed
from ramps.fits.asdf_tree import table_hdu
from ramps.fits.index import BLOCK, HDUInfo
from ramps.kernels import blocks
from ramps.kernels.blocks import BLOCK_BYTES, SMALL_BYTES, MiB
from ramps.sources import ByteSource

__all__ = [
    "CHUNK_BYTES",
    "SMALL_BYTES",
    "decode_range",
    "groups_data",
    "has_data",
    "image_view",
    "raw_data",
    "read_image",
]

#: Input bytes per block of a whole-array read (module globals, so tests can shrink them).
CHUNK_BYTES = BLOCK_BYTES
SMALL_BYTES = SMALL_BYTES  # noqa: PLW0127 (a module global of its own)

#: Pages of blocks smaller than this are not released (the call costs more).
_RELEASE_BYTES = MiB


def decode_range(source: ByteSource, info: HDUInfo, first: int, count: int,
                 dtype: np.dtype, out: np.ndarray, threads: int | None) -> None:
    """Decode elements ``[first, first + count)`` of image HDU ``info`` into ``out``
    (C-contiguous, ``count`` elements of ``dtype``), releasing input pages once
    consumed.  Kernel errors are re-raised naming the file and the extension.  A
    tile-compressed image is decompressed by astropy (:mod:`ramps.fits.compressed`)."""
    if info.zimage:
        out.reshape(-1)[...] = compressed.read_range(source, info, first, count)
        return
    check_image(source, info)
    item = info.dtype.itemsize
    if not out.flags.c_contiguous:
        raise ValueError(f"{source.name}[{info.label}]: out must be C-contiguous")
    flat = out.reshape(-1)
    if not source.zero_copy:  # a remote source fetches the whole range in few requests
        source.prefetch([(info.data_offset + first * item, count * item)])
    blanks = info.blanks_to_nan and np.dtype(dtype).kind == "f"
    step, nt, inner = blocks.plan(count, CHUNK_BYTES // item, blocks.CALL_BYTES // item,
                                     threads, small=count * item < SMALL_BYTES)

    def block(i0: int, i1: int) -> None:
        m = (i1 - i0) * item
        offset = info.data_offset + (first + i0) * item
        try:
            raw = source.view(offset, m)
        except FormatError as e:  # truncated, or shrunk while open: name the extension
            raise e.at(info.label) from None
        try:
            kernels.decode(raw, info.bitpix, bscale=info.bscale,
                           bzero=info.bzero, dtype=dtype, out=flat[i0:i1], threads=inner)
        except (TypeError, ValueError) as e:
            raise type(e)(f"{source.name}[{info.label}]: {e}") from None
        if blanks:  # a block-sized mask, never one the size of the image
            flat[i0:i1][np.asarray(raw).view(info.dtype) == info.blank] = np.nan
        if m >= _RELEASE_BYTES:
            source.release(offset, m)

    blocks.run_blocks(count, step, block, nt)


def check_image(source: ByteSource, info: HDUInfo) -> None:
    """Refuse an image whose data unit is not exactly its NAXISn values (PCOUNT != 0
    or GCOUNT != 1 on an image: the standard requires 0 and 1) with a FormatError."""
    n = int(np.prod(info.shape, dtype=object)) if info.shape else 0
    if info.shape and n * info.dtype.itemsize != info.data_size:
        raise FormatError(source.name, f"an image HDU must have PCOUNT = 0 and GCOUNT = 1 "
                          f"(found {info.pcount} and {info.gcount}): its data unit of "
                          f"{info.data_size} bytes is not the {n} x {info.dtype.itemsize} "
                          f"bytes of shape {info.shape}", info.label)


def has_data(info: HDUInfo) -> bool:
    """False for an image HDU with NAXIS = 0, whose data astropy gives as None."""
    return bool(info.shape)


def image_view(source: ByteSource, info: HDUInfo) -> np.ndarray | None:
    """The stored values of an image HDU as a read-only big-endian view of the source
    (None when NAXIS = 0; a read-only empty array when an axis is 0)."""
    if not info.shape:
        return None
    check_image(source, info)
    if info.data_size == 0 or 0 in info.shape:
        empty = np.empty(info.shape, info.dtype)
        empty.flags.writeable = False
        return empty
    return source.view(info.data_offset, info.data_size).view(info.dtype).reshape(info.shape)


def read_image(source: ByteSource, info: HDUInfo, dtype: np.dtype, out: np.ndarray | None,
               threads: int | None) -> np.ndarray | None:
    """Decode a whole image HDU into ``out`` (or a new array of ``dtype``).

    None when NAXIS = 0 (then ``out`` is left alone); ``out`` must hold exactly
    the image's number of elements (:class:`ValueError` naming the extension)."""
    if not info.shape:
        return None
    n = int(np.prod(info.shape, dtype=np.int64))
    if out is None:
        out = np.empty(info.shape, dtype)
    elif out.size != n:
        raise ValueError(f"{source.name}[{info.label}]: out holds {out.size} elements, "
                         f"the extension {n} (shape {info.shape})")
    if n:
        decode_range(source, info, 0, n, dtype, out, threads)
    return out


def pick_indices(sel: Any, n: int, what: str, where: str) -> tuple[list[int], bool]:
    """Indices along an axis of size ``n`` for an int, a slice or a sequence of ints,
    and whether the axis stays (False for a plain int, as numpy indexing)."""
    if sel is None:
        return list(range(n)), True
    if isinstance(sel, slice):
        return list(range(*sel.indices(n))), True
    if isinstance(sel, (int, np.integer)) and not isinstance(sel, bool):
        idx, keep = [int(sel)], False
    else:
        idx, keep = [int(i) for i in sel], True
    for k, i in enumerate(idx):
        if not -n <= i < n:
            raise IndexError(f"{where}: {what} {i} out of range (the axis has {n})")
        idx[k] = i % n
    return idx, keep


def read_selection(source: ByteSource, info: HDUInfo, dtype: np.dtype, integrations: Any,
                   groups: Any, threads: int | None) -> np.ndarray:
    """Decode the chosen integrations (axis 0) and groups (axis 1) of an image.

    The byte range of every run of consecutive groups of every chosen integration
    is planned first and handed to the source's ``fetch`` (a remote source
    merges neighbours into few concurrent requests); each range is decoded into its
    place in the output as its request completes."""
    where = f"{source.name}[{info.label}]"
    if len(info.shape) < (2 if groups is not None else 1):
        raise ValueError(f"{where}: a {len(info.shape)}-D image has no "
                         f"{'groups' if groups is not None else 'integrations'} axis")
    ints, keep_i = pick_indices(integrations, info.shape[0], "integration", where)
    if info.zimage:  # decompressed whole, then picked as numpy picks
        whole = np.empty(info.shape, dtype)
        decode_range(source, info, 0, whole.size, dtype, whole, threads)
        picked = whole[ints if keep_i else ints[0]]
        if groups is not None:
            grps, keep_g = pick_indices(groups, info.shape[1], "group", where)
            picked = picked[((slice(None),) if keep_i else ()) + (grps if keep_g else grps[0],)]
        return np.ascontiguousarray(picked)
    if groups is None:
        grps, keep_g, rest = [None], True, info.shape[1:]
    else:
        grps, keep_g = pick_indices(groups, info.shape[1], "group", where)
        rest = info.shape[2:]
    unit = int(np.prod(rest, dtype=np.int64))  # elements of one group (or integration)
    per_int = int(np.prod(info.shape[1:], dtype=np.int64))
    runs = []  # (first element, count, output position) of each contiguous run
    pos = 0
    for i in ints:
        if groups is None:
            runs.append((i * per_int, per_int, pos))
            pos += per_int
            continue
        start = prev = None
        for g in grps + [None]:
            if g is not None and prev is not None and g == prev + 1:
                prev = g
                continue
            if start is not None:
                runs.append((i * per_int + start * unit, (prev - start + 1) * unit, pos))
                pos += (prev - start + 1) * unit
            start = prev = g
    shape = ((len(ints),) if keep_i else ()) + \
        ((len(grps),) if groups is not None and keep_g else ()) + tuple(rest)
    out = np.empty(shape, dtype)
    flat = out.reshape(-1)
    item = info.dtype.itemsize
    pending = {info.data_offset + first * item: (first, count, at)
               for first, count, at in runs if count}
    for start, stop in source.fetch([(o, r[1] * item) for o, r in pending.items()]):
        # decoded as they arrive: a remote source's other requests go on meanwhile
        for o in [o for o in pending if start <= o and o + pending[o][1] * item <= stop]:
            first, count, at = pending.pop(o)
            decode_range(source, info, first, count, dtype, flat[at:at + count], threads)
    if pending:  # pragma: no cover - every range is yielded by fetch
        raise AssertionError(f"{source.name}[{info.label}]: ranges not fetched")
    return out


def raw_data(source: ByteSource, info: HDUInfo) -> np.ndarray:
    """The data unit of any HDU as read-only bytes (``uint8``), padding excluded: what
    astropy gives as the data of a non-standard extension (``XTENSION = 'ASDF'`` ...)."""
    if not info.data_size:
        empty = np.empty(0, np.uint8)
        empty.flags.writeable = False
        return empty
    return source.view(info.data_offset, info.data_size).view(np.uint8)


def groups_data(source: ByteSource, info: HDUInfo):
    """The data of a random-groups primary HDU, as astropy reads it (a rare layout:
    no fast path)."""
    from astropy.io import fits

    raw = source.read(0, info.data_offset + info.data_size)
    try:
        return fits.HDUList.fromstring(raw + b"\0" * ((-len(raw)) % BLOCK))[0].data
    except Exception as e:  # astropy raises many types on malformed groups
        raise FormatError(source.name, f"malformed random groups: {type(e).__name__}: {e}",
                          info.label) from None


def read_table(source: ByteSource, info: HDUInfo):
    """A BINTABLE/TABLE HDU as an astropy Table, its string columns without the FITS
    padding blanks (as astropy reads them); a malformed table (a variable-length
    column whose heap is gone ...) raises FormatError naming the extension."""
    from astropy.table import Table

    try:  # columns convert here
        table = Table(table_hdu(source, info).data)
        for name in table.colnames:
            if table[name].dtype.kind in "US" and table[name].ndim == 1:
                table[name] = np.char.rstrip(table[name])
        return table
    except (OSError, ValueError, TypeError, IndexError) as e:
        raise FormatError(source.name, f"malformed table: {type(e).__name__}: {e}",
                          info.label) from None
