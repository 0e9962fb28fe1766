"""The numpy-facing face of the C kernels.

Each function checks dtypes, shapes and contiguity, allocates the output (or
uses ``out=``), and calls one C kernel with the GIL released.  Inputs are never
modified.  ``threads=None`` uses every core; results are bit-identical for any
thread count.  No function allocates a temporary the size of its input.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from . import _core
from .flags import DO_NOT_USE

__all__ = [
    "decode",
    "decode_typed",
    "encode",
    "transcode_u16_to_f32be",
    "combine_dq",
    "collapse_dq",
    "err_from_variances",
    "fits_checksum",
    "checksum_encode",
    "have_openmp",
]

#: FITS BITPIX -> big-endian on-disk numpy dtype.
BITPIX_DTYPE = {8: ">u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}

#: Logical numpy dtype -> (BITPIX, BZERO) of its cast-free FITS encoding: the one FITS type
#: table (uint16 is BITPIX 16 with BZERO 32768, int8 is BITPIX 8 with BZERO -128, ...).
FITS_ENCODING: dict[np.dtype, tuple[int, int]] = {
    np.dtype(np.float32): (-32, 0),
    np.dtype(np.float64): (-64, 0),
    np.dtype(np.uint8): (8, 0),
    np.dtype(np.int8): (8, -128),
    np.dtype(np.int16): (16, 0),
    np.dtype(np.uint16): (16, 1 << 15),
    np.dtype(np.int32): (32, 0),
    np.dtype(np.uint32): (32, 1 << 31),
    np.dtype(np.int64): (64, 0),
    np.dtype(np.uint64): (64, 1 << 63),
}

#: Pseudo-unsigned (or signed-byte) conventions: (BITPIX, BZERO) -> native result dtype.
#: The stored value plus BZERO is the stored value with its sign bit flipped.
INTEGER_OFFSETS = {(bitpix, float(bzero)): dtype
                   for dtype, (bitpix, bzero) in FITS_ENCODING.items() if bzero}


def fits_dtype(dtype: Any) -> tuple[int, int]:
    """(BITPIX, BZERO) under which an array of ``dtype`` is stored in a FITS image
    (:data:`FITS_ENCODING`; byte order ignored); TypeError for any other dtype."""
    dt = np.dtype(dtype)
    try:
        return FITS_ENCODING[dt.newbyteorder("=") if dt.itemsize > 1 else dt]
    except KeyError:
        raise TypeError(
            f"cannot store {dt} in a FITS image; supported: "
            + ", ".join(d.name for d in FITS_ENCODING)
        ) from None


def have_openmp() -> bool:
    """True when the C core was built with OpenMP (multi-threaded kernels)."""
    return _core.have_openmp()


def check_threads(threads: int | None) -> int:
    """The C kernels' thread count for ``threads=``: 0 for None (every core), else the
    positive integer given; anything else is a ValueError.  Every ``threads=`` in
    ramps goes through here."""
    if threads is None:
        return 0
    if not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(f"threads must be a positive integer or None, got {threads!r}")
    return int(threads)


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


def _out_buffer(out: np.ndarray | None, dtype: np.dtype, n: int, name: str = "out") -> np.ndarray:
    """Validate a caller's output buffer (or allocate one); returns the array to fill."""
    if out is None:
        return np.empty(n, dtype=dtype)
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(out).__name__}")
    if out.dtype != dtype:
        raise TypeError(f"{name} has dtype {out.dtype}, expected {dtype}")
    if not out.dtype.isnative:
        raise TypeError(f"{name} must be in native byte order")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError(f"{name} must be a writeable C-contiguous array")
    if out.size != n:
        raise ValueError(f"{name} holds {out.size} elements, {n} expected")
    return out


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
        result = _out_buffer(out, dtype, n)
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
    result = _out_buffer(out, dtype, n)
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
        result = _out_buffer(out, out_dtype, n)
        dec = _core.decode_f32 if out_dtype == np.float32 else _core.decode_f64
        dec(src, result.reshape(-1), stored.str, scale, offset, nt)
        return result
    if out_dtype.kind not in "iuf" or out_dtype.str[1:] not in _core.DECODABLE:
        raise TypeError(f"decode_typed out_dtype must be float32, float64 or an exact "
                        f"integer/float16 form of the stored type, got {out_dtype}")
    mask = _exact_mask(stored, scale, offset, out_dtype)
    result = _out_buffer(out, out_dtype, n)
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
    result = _out_buffer(out, np.dtype(np.uint8), arr.size * disk.itemsize)
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
    result = _out_buffer(out, np.dtype(np.uint8), src.size * 2)
    _core.transcode_u16_f32be(src, result.reshape(-1), check_threads(threads))
    return result


def _is_dask(*arrays: Any) -> bool:
    """Whether any argument is a dask array (without importing dask: none can be unless loaded)."""
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and any(isinstance(a, dask_array.Array) for a in arrays)


def _array(a: Any, dtype: Any, ndim: int, name: str) -> np.ndarray:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    dtype = np.dtype(dtype)
    if a.dtype.newbyteorder("=") != dtype or a.dtype.itemsize != dtype.itemsize:
        raise TypeError(f"{name} must have dtype {dtype}, got {a.dtype}")
    if not a.dtype.isnative and a.dtype.itemsize > 1:
        raise TypeError(f"{name} must be in native byte order, got {a.dtype}")
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    return a


def _array_be_f32(a: Any, ndim: int, name: str) -> np.ndarray:
    """Like _array for big-endian float32 (>f4), which _array refuses as non-native."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
    if a.dtype != np.dtype(">f4"):
        raise TypeError(f"{name} must have dtype >f4 (big-endian float32, as variance 1), "
                        f"got {a.dtype.str}: the variances must all be in one byte order")
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    return a


def combine_dq(
    pixeldq: np.ndarray,
    groupdq: np.ndarray,
    *,
    rules: str = "or",
    mask: int = 0xFF,
    out: np.ndarray | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """Combine PIXELDQ and GROUPDQ into one DQ plane per integration.

    Parameters
    ----------
    pixeldq
        uint32, shape (ny, nx).
    groupdq
        uint8, shape (nints, ngroups, ny, nx).
    rules
        ``"or"``: pixeldq | OR over groups of (groupdq & mask).
        ``"stcal"``: the integration DQ of stcal's ramp fitting: start from
        pixeldq; add JUMP_DET (4), PERSISTENCE (32) and SATURATED (2) where any
        group has them; add DO_NOT_USE (1) where group 0 is saturated or every
        group is DO_NOT_USE or SATURATED, and SATURATED|DO_NOT_USE where every
        group is saturated.  Other group flags (DROPOUT, AD_FLOOR, CHARGELOSS
        ...) are not copied.  ``mask`` is applied to groupdq first.  With no
        groups, "every group" holds vacuously (DO_NOT_USE|SATURATED).
    out
        uint32 (nints, ny, nx) to fill, or None to allocate.

    Returns
    -------
    numpy.ndarray
        uint32, shape (nints, ny, nx).  Dask inputs give a lazy dask array
        (:func:`ramps.dask_kernels.combine_dq`).
    """
    if _is_dask(pixeldq, groupdq):
        from .dask_kernels import combine_dq as dask_combine_dq
        return dask_combine_dq(pixeldq, groupdq, rules=rules, mask=mask, out=out, threads=threads)
    pixeldq = _array(pixeldq, np.uint32, 2, "pixeldq")
    groupdq = _array(groupdq, np.uint8, 4, "groupdq")
    if groupdq.shape[2:] != pixeldq.shape:
        raise ValueError(
            f"groupdq image shape {groupdq.shape[2:]} does not match pixeldq {pixeldq.shape}"
        )
    if rules not in ("or", "stcal"):
        raise ValueError(f"rules must be 'or' or 'stcal', got {rules!r}")
    if not 0 <= int(mask) <= 0xFF:
        raise ValueError(f"mask must fit in 8 bits (groupdq is uint8), got {mask!r}")
    nints, ngroups = groupdq.shape[:2]
    shape = (nints,) + pixeldq.shape
    result = _out_buffer(out, np.dtype(np.uint32), int(np.prod(shape)))
    if out is not None and out.shape != shape:
        raise ValueError(f"out has shape {out.shape}, expected {shape}")
    _core.combine_dq(pixeldq.reshape(-1), groupdq.reshape(-1), result.reshape(-1),
                     nints, ngroups, int(mask), rules == "stcal", check_threads(threads))
    return result if out is not None else result.reshape(shape)


def collapse_dq(
    dq: np.ndarray, *, rules: str = "or", out: np.ndarray | None = None,
    threads: int | None = None,
) -> np.ndarray:
    """Collapse per-integration DQ (nints, ny, nx) to one plane (ny, nx).

    ``"or"``: OR over integrations.  ``"stcal"``: the same, except DO_NOT_USE
    is kept only where every integration has it.
    """
    dq = _array(dq, np.uint32, 3, "dq")
    if rules not in ("or", "stcal"):
        raise ValueError(f"rules must be 'or' or 'stcal', got {rules!r}")
    shape = dq.shape[1:]
    result = _out_buffer(out, np.dtype(np.uint32), int(np.prod(shape)))
    if out is not None and out.shape != shape:
        raise ValueError(f"out has shape {out.shape}, expected {shape}")
    _core.collapse_dq(dq.reshape(-1), result.reshape(-1), dq.shape[0],
                      DO_NOT_USE if rules == "stcal" else 0, check_threads(threads))
    return result if out is not None else result.reshape(shape)


def err_from_variances(
    *variances: np.ndarray,
    out: np.ndarray | None = None,
    dtype: Any = None,
    threads: int | None = None,
) -> np.ndarray:
    """ERR = sqrt(sum of two or three variance arrays), elementwise.

    float32 inputs give float32, summed left to right in float32 as numpy's
    ``np.sqrt(a + b + c)`` does (bit-identical).  float16 inputs (Roman level 2
    stores err and var_* as float16) are summed and rooted in float32 and
    returned as float32 or, with ``dtype=float16``, rounded once to float16.
    NaN and inf propagate as in numpy.

    float32 inputs may also be big-endian (``>f4``, as FITS stores them, e.g.
    the read-only memory-mapped views of ``Product[...]``): all of them then,
    at any alignment.  They are byte-swapped as they are read, in the same
    single pass, with the same result bit for bit (NaN payloads included) as
    swapping them first; the output is native float32.  Dask inputs give a lazy
    dask array (:func:`ramps.dask_kernels.err_from_variances`).
    """
    if _is_dask(*variances):
        from .dask_kernels import err_from_variances as dask_err
        return dask_err(*variances, out=out, dtype=dtype, threads=threads)
    if len(variances) not in (2, 3):
        raise TypeError(f"err_from_variances takes 2 or 3 variance arrays, got {len(variances)}")
    first = variances[0]
    if not isinstance(first, np.ndarray):
        raise TypeError(f"variances must be numpy arrays, got {type(first).__name__}")
    in_dtype = first.dtype.newbyteorder("=")
    if in_dtype not in (np.dtype(np.float32), np.dtype(np.float16)):
        raise TypeError(f"variances must be float32 or float16, got {first.dtype}")
    # big-endian float32 on a little-endian machine: the byte-swapping kernel
    swapped = not first.dtype.isnative and in_dtype == np.float32 and first.dtype.byteorder == ">"
    if swapped:
        arrs = [_array_be_f32(v, first.ndim, f"variance {i + 1}")
                for i, v in enumerate(variances)]
    else:
        arrs = [_array(v, in_dtype, first.ndim, f"variance {i + 1}")
                for i, v in enumerate(variances)]
    for i, v in enumerate(arrs[1:], 2):
        if v.shape != first.shape:
            raise ValueError(f"variance {i} has shape {v.shape}, variance 1 has {first.shape}")
    out_dtype = np.dtype(dtype) if dtype is not None else (
        np.dtype(np.float32) if out is None else out.dtype)
    allowed = (np.float32,) if in_dtype == np.float32 else (np.float32, np.float16)
    if out_dtype not in [np.dtype(t) for t in allowed]:
        raise TypeError(f"{in_dtype} variances give {' or '.join(np.dtype(t).name for t in allowed)}"
                        f" ERR, not {out_dtype}")
    result = _out_buffer(out, out_dtype, first.size)
    if out is not None and out.shape != first.shape:
        raise ValueError(f"out has shape {out.shape}, expected {first.shape}")
    flat = [a.reshape(-1) for a in arrs]
    c = flat[2] if len(flat) == 3 else None
    nt = check_threads(threads)
    if swapped:
        b = [f.view(np.uint8) for f in flat]
        _core.err_f32be(b[0], b[1], b[2] if c is not None else None, result.reshape(-1), nt)
    elif in_dtype == np.float32:
        _core.err_f32(flat[0], flat[1], c, result.reshape(-1), nt)
    else:
        u16 = [f.view(np.uint16) for f in flat]
        dst = result.reshape(-1)
        is16 = out_dtype == np.float16
        _core.err_f16(u16[0], u16[1], u16[2] if c is not None else None,
                      dst.view(np.uint16) if is16 else dst, is16, nt)
    return result if out is not None else result.reshape(first.shape)


def fits_checksum(buf: Any, *, initial: int = 0, threads: int | None = None) -> int:
    """The FITS 32-bit ones'-complement checksum of a buffer (Standard, Appendix J).

    ``buf`` is any C-contiguous bytes-like object or array whose size in bytes is
    a multiple of 4 (FITS blocks are).  ``initial`` continues a running sum, so
    a writer can compute DATASUM chunk by chunk: ``s = fits_checksum(c2,
    initial=fits_checksum(c1))``.  DATASUM is this value as a decimal string.
    """
    if isinstance(buf, np.ndarray):
        if not buf.flags.c_contiguous:
            raise ValueError("checksum buffer must be C-contiguous")
        view = buf.reshape(-1).view(np.uint8)
    else:
        view = np.frombuffer(buf, dtype=np.uint8)
    if view.size % 4:
        raise ValueError(f"checksum buffer must be a multiple of 4 bytes, got {view.size}")
    if not 0 <= int(initial) <= 0xFFFFFFFF:
        raise ValueError(f"initial must be a 32-bit unsigned value, got {initial!r}")
    return _core.fits_checksum(view, int(initial), check_threads(threads))


def checksum_encode(value: int, *, complement: bool = True) -> str:
    """The 16-character ASCII form of a checksum for the CHECKSUM keyword.

    FITS stores the complement of the HDU sum (``complement=True``) so that
    the checksum of the whole HDU, CHECKSUM included, comes to -0.
    """
    if not 0 <= int(value) <= 0xFFFFFFFF:
        raise ValueError(f"checksum value must be a 32-bit unsigned value, got {value!r}")
    return _core.checksum_encode(int(value), bool(complement))
