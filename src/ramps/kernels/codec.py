"""Decoding stored array bytes to native numbers, and encoding them back: FITS data
(BITPIX, BSCALE, BZERO), any typed input (ASDF arrays: dtype and byte order), and the
uncal -> ramp transcoding.  One C kernel per call, GIL released, all cores."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ramps import _core
from ramps.kernels._common import out_buffer, check_threads
from ramps.kernels.fits_types import BITPIX_DTYPE, INTEGER_OFFSETS


def _check_bitpix(bitpix: int) -> np.dtype:
    try:
        return np.dtype(BITPIX_DTYPE[bitpix])
    except (KeyError, TypeError):
        raise ValueError(
            f"BITPIX must be one of 8, 16, 32, 64, -32, -64; got {bitpix!r}"
        ) from None


def _raw_bytes(raw: Any, bitpix: int, what: str = "raw") -> np.ndarray:
    """A flat uint8 view of big-endian FITS data for BITPIX, without copying."""
    disk = _check_bitpix(bitpix)
    if isinstance(raw, (bytes, bytearray, memoryview)):
        raw = np.frombuffer(raw, dtype=np.uint8)
    if not isinstance(raw, np.ndarray):
        raise TypeError(f"{what} must be a numpy array or a bytes-like object, got {type(raw).__name__}")
    if raw.dtype == np.uint8:
        pass
    elif raw.dtype.itemsize == disk.itemsize and raw.dtype.kind == disk.kind or (
        raw.dtype.itemsize == disk.itemsize and raw.dtype.kind in "iu" and disk.kind in "iu"
    ):
        if raw.dtype.byteorder not in (">",) and not (raw.dtype.itemsize == 1):
            raise TypeError(
                f"{what} must be big-endian FITS data ({disk.str} for BITPIX={bitpix}), "
                f"got native {raw.dtype}; pass the bytes as stored on disk"
            )
    else:
        raise TypeError(
            f"{what} dtype {raw.dtype} does not match BITPIX={bitpix} "
            f"(expected uint8 bytes or {disk.str})"
        )
    if not raw.flags.c_contiguous:
        raise ValueError(f"{what} must be C-contiguous")
    flat = raw.reshape(-1).view(np.uint8)
    if flat.size % disk.itemsize:
        raise ValueError(
            f"{what} holds {flat.size} bytes, not a whole number of "
            f"{disk.itemsize}-byte elements for BITPIX={bitpix}"
        )
    return flat




def decode(
    raw: Any,
    bitpix: int,
    *,
    bscale: float = 1.0,
    bzero: float = 0.0,
    dtype: Any = np.float32,
    out: np.ndarray | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """Decode big-endian FITS data into native numbers.

    Parameters
    ----------
    raw
        The bytes as stored in the file: a uint8 array, a bytes-like object,
        or an array of the on-disk dtype (``>i2`` for BITPIX=16, ...).
    bitpix, bscale, bzero
        The FITS keywords of the HDU.  Physical value = raw * bscale + bzero.
    dtype
        float32 or float64 (computed in double, rounded once), or an integer
        dtype for exact results: the signed type of BITPIX when bzero is 0, or
        the pseudo-unsigned conventions (int16 + 32768 -> uint16,
        int32 + 2**31 -> uint32, int64 + 2**63 -> uint64, uint8 - 128 -> int8).
    out
        A C-contiguous native array of ``dtype`` with as many elements as
        ``raw`` holds values; filled and returned (it may have any shape).
    threads
        Threads to use; None uses every core.

    Returns
    -------
    numpy.ndarray
        A flat array (or ``out``); the caller reshapes.
    """
    src = _raw_bytes(raw, bitpix)
    disk = np.dtype(BITPIX_DTYPE[bitpix])
    n = src.size // disk.itemsize
    dtype = np.dtype(dtype)
    nt = check_threads(threads)
    bscale, bzero = float(bscale), float(bzero)
    if dtype in (np.dtype(np.float32), np.dtype(np.float64)):
        result = out_buffer(out, dtype, n)
        flat = result.reshape(-1)
        dec = _core.decode_f32 if dtype == np.float32 else _core.decode_f64
        dec(src, flat, disk.str, bscale, bzero, nt)
        return result
    if dtype.kind not in "iu":
        raise TypeError(f"decode dtype must be float32, float64 or an integer type, got {dtype}")
    if bscale != 1.0:
        raise ValueError(f"an integer dtype needs BSCALE=1 (got {bscale}); decode to float instead")
    if bitpix < 0:
        raise ValueError(f"BITPIX={bitpix} holds floating-point data; decode to float32/float64")
    if bzero == 0.0:
        expected = np.dtype(disk.newbyteorder("="))
        mask = 0
    else:
        expected = INTEGER_OFFSETS.get((bitpix, bzero))
        if expected is None:
            raise ValueError(
                f"BITPIX={bitpix} with BZERO={bzero} has no exact integer form; decode to float"
            )
        mask = 1 << (8 * disk.itemsize - 1)
    if dtype != expected:
        raise TypeError(
            f"BITPIX={bitpix} with BZERO={bzero:g} decodes exactly to {expected}, not {dtype}"
        )
    result = out_buffer(out, dtype, n)
    _core.load_xor(src, result.reshape(-1).view(np.uint8), disk.str, mask, nt)
    return result


_FLOAT_OUT = (np.dtype(np.float32), np.dtype(np.float64))


def _typed_bytes(raw: Any, dtype: Any) -> tuple[np.ndarray, np.dtype]:
    """A flat uint8 view of stored numbers and their dtype (byte order explicit)."""
    if isinstance(raw, (bytes, bytearray, memoryview)):
        if dtype is None:
            raise TypeError("raw bytes need a stored dtype (e.g. '<u2'): pass dtype=")
        raw = np.frombuffer(raw, dtype=np.uint8)
    if not isinstance(raw, np.ndarray):
        raise TypeError(f"raw must be a numpy array or a bytes-like object, got {type(raw).__name__}")
    if dtype is None:
        dtype = raw.dtype
    stored = np.dtype(dtype)
    if stored.str[1:] not in _core.DECODABLE:
        raise TypeError(f"cannot decode stored dtype {stored}: int8..uint64, float16, float32 "
                        f"and float64 in either byte order are supported")
    if raw.dtype != np.uint8 and raw.dtype != stored:
        raise TypeError(f"raw has dtype {raw.dtype.str}, not the stored dtype {stored.str} "
                        f"(pass uint8 bytes or an array of {stored.str})")
    if not raw.flags.c_contiguous:
        raise ValueError("raw must be C-contiguous")
    flat = raw.reshape(-1).view(np.uint8)
    if flat.size % stored.itemsize:
        raise ValueError(f"raw holds {flat.size} bytes, not a whole number of "
                         f"{stored.itemsize}-byte {stored.str} elements")
    return flat, stored


def _exact_mask(stored: np.dtype, scale: float, offset: float, out_dtype: np.dtype) -> int:
    """The xor mask of an exact decode of ``stored`` into ``out_dtype``, or an error."""
    native = stored.newbyteorder("=")
    bits = 8 * stored.itemsize
    if scale != 1.0:
        raise ValueError(f"an exact decode to {out_dtype} needs scale=1 (got {scale:g}); "
                         f"decode to float32/float64 instead")
    if out_dtype == native and offset == 0.0:
        return 0
    flips = {"i": ("u", 2.0 ** (bits - 1)), "u": ("i", -(2.0 ** (bits - 1)))}.get(native.kind)
    if flips and out_dtype.kind == flips[0] and out_dtype.itemsize == native.itemsize \
            and offset == flips[1]:
        return 1 << (bits - 1)
    raise TypeError(f"{stored.str} with offset={offset:g} has no exact {out_dtype} form: "
                    f"exact routes are {native} with offset 0"
                    + (f" and {flips[0]}{stored.itemsize} with offset {flips[1]:.0f}"
                       if flips else ""))


def decode_typed(
    raw: Any,
    dtype: Any = None,
    *,
    scale: float = 1.0,
    offset: float = 0.0,
    out_dtype: Any = np.float32,
    out: np.ndarray | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """Decode stored numbers described by a numpy dtype (either byte order) into native ones.

    :func:`decode` reads FITS data (big-endian, typed by BITPIX); this reads any
    of int8..uint64, float16, float32, float64 stored big-endian (``'>u2'``),
    little-endian (``'<u2'``, ASDF blocks) or natively, at any alignment.

    Parameters
    ----------
    raw
        The stored bytes: a bytes-like object, a uint8 array, or an array of
        ``dtype`` (any shape, C-contiguous).
    dtype
        The stored dtype with its byte order; None takes ``raw``'s own dtype.
    scale, offset
        Value = stored * scale + offset (FITS' BSCALE and BZERO, Roman's none).
    out_dtype
        float32 or float64: computed in double and rounded once (unscaled:
        converted directly, so int64 -> float32 rounds once and float16 ->
        float32 is exact).  Or an exact result, with scale 1: the native form
        of ``dtype`` with offset 0 (a byte swap or a copy), or the integer type
        of the same width and the other signedness with the sign-bit offset
        (int16 + 32768 -> uint16, uint8 - 128 -> int8, ...).
    out
        A C-contiguous native array of ``out_dtype`` with as many elements as
        ``raw`` holds values; filled and returned (it may have any shape).
    threads
        Threads to use; None uses every core.  Results are bit-identical for
        any thread count.

    Returns
    -------
    numpy.ndarray
        A flat array (or ``out``); the caller reshapes.

    Notes
    -----
    This always writes a new buffer.  When no conversion is needed (native
    byte order, ``out_dtype`` the stored type, no scaling) a caller that can
    keep a read-only view should take ``np.frombuffer(raw, dtype)`` instead:
    zero-copy views are the caller's business, not this kernel's.
    """
    src, stored = _typed_bytes(raw, dtype)
    n = src.size // stored.itemsize
    out_dtype = np.dtype(out_dtype)
    nt = check_threads(threads)
    scale, offset = float(scale), float(offset)
    if out_dtype in _FLOAT_OUT and not (out_dtype == stored.newbyteorder("=") and
                                        scale == 1.0 and offset == 0.0):
        result = out_buffer(out, out_dtype, n)
        dec = _core.decode_f32 if out_dtype == np.float32 else _core.decode_f64
        dec(src, result.reshape(-1), stored.str, scale, offset, nt)
        return result
    if out_dtype.kind not in "iuf" or out_dtype.str[1:] not in _core.DECODABLE:
        raise TypeError(f"decode_typed out_dtype must be float32, float64 or an exact "
                        f"integer/float16 form of the stored type, got {out_dtype}")
    mask = _exact_mask(stored, scale, offset, out_dtype)
    result = out_buffer(out, out_dtype, n)
    _core.load_xor(src, result.reshape(-1).view(np.uint8), stored.str, mask, nt)
    return result


def _swapped_mask(mask: int, width: int) -> int:
    """The xor mask to apply after a big-endian load so that it lands on ``mask``'s bits."""
    return int.from_bytes(mask.to_bytes(width, "big"), sys.byteorder)


def encode(
    arr: np.ndarray,
    bitpix: int,
    *,
    bscale: float = 1.0,
    bzero: float = 0.0,
    out: np.ndarray | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """Encode native numbers as big-endian FITS data bytes (the reverse of :func:`decode`).

    Float input: stored = (x - bzero) / bscale, computed in double; for an
    integer BITPIX rounded half to even, and OverflowError if any value is NaN
    or does not fit.  Integer input is encoded exactly: its own BITPIX with
    BZERO=0, or an unsigned type with the pseudo-unsigned BZERO (uint16 ->
    BITPIX=16, BZERO=32768; uint32 -> 32, 2**31; uint64 -> 64, 2**63;
    int8 -> 8, -128).  Returns a flat uint8 array (or ``out``, uint8).
    """
    disk = _check_bitpix(bitpix)
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"encode expects a numpy array, got {type(arr).__name__}")
    if not arr.dtype.isnative:
        raise TypeError(f"encode expects native byte order, got {arr.dtype}; it is already encoded?")
    if not arr.flags.c_contiguous:
        raise ValueError("encode expects a C-contiguous array")
    nt = check_threads(threads)
    bscale, bzero = float(bscale), float(bzero)
    result = out_buffer(out, np.dtype(np.uint8), arr.size * disk.itemsize)
    dst = result.reshape(-1)
    flat = arr.reshape(-1)
    if arr.dtype in (np.dtype(np.float32), np.dtype(np.float64)):
        enc = _core.encode_f32 if arr.dtype == np.float32 else _core.encode_f64
        try:
            enc(flat, dst, bitpix, bscale, bzero, nt)
        except OverflowError:
            raise OverflowError(
                f"cannot encode {arr.dtype} data as BITPIX={bitpix} with BSCALE={bscale:g}, "
                f"BZERO={bzero:g}: a value is NaN or out of range"
            ) from None
        return result
    if arr.dtype.kind in "iu":
        if bzero == 0.0 and bscale == 1.0:
            want = np.dtype(disk.newbyteorder("="))
            mask = 0
        else:
            want = INTEGER_OFFSETS.get((bitpix, bzero)) if bscale == 1.0 else None
            mask = 1 << (8 * disk.itemsize - 1)
        if want is None or arr.dtype != want:
            raise TypeError(
                f"{arr.dtype} data cannot be encoded exactly as BITPIX={bitpix}, "
                f"BSCALE={bscale:g}, BZERO={bzero:g}"
            )
        _core.load_xor(flat.view(np.uint8), dst, disk.str,
                       _swapped_mask(mask, disk.itemsize), nt)
        return result
    raise TypeError(f"encode supports float32, float64 and integer arrays, not {arr.dtype}")


def transcode_u16_to_f32be(
    raw: Any, out: np.ndarray | None = None, threads: int | None = None
) -> np.ndarray:
    """Big-endian int16 stored with BZERO=32768 straight to big-endian float32 bytes.

    What an uncal -> ramp conversion writes, with no native intermediate.
    ``raw`` is uint8 bytes or ``>i2``/``>u2`` data; returns flat uint8 (or ``out``).
    """
    src = _raw_bytes(raw, 16)
    result = out_buffer(out, np.dtype(np.uint8), src.size * 2)
    _core.transcode_u16_f32be(src, result.reshape(-1), check_threads(threads))
    return result
