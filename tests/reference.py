"""Plain-numpy reference implementations of ramps.kernels, with the same signatures.

Written from the definitions (FITS standard, the stcal rules stated in the
kernels' docstrings), not from the C: where the C uses a trick (sign-bit xor,
64-bit checksum folding) the reference takes the obvious long way round.
"""

from __future__ import annotations

import numpy as np

DISK = {8: ">u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}
DNU, SAT, JUMP, PERSIST = 1, 2, 4, 32


def _stored(raw, bitpix):
    buf = raw.reshape(-1).view(np.uint8) if isinstance(raw, np.ndarray) else raw
    return np.frombuffer(bytes(buf), dtype=DISK[bitpix])


def decode(raw, bitpix, *, bscale=1.0, bzero=0.0, dtype=np.float32, out=None, threads=None):
    stored = _stored(raw, bitpix)
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        with np.errstate(over="ignore"):  # float64 beyond float32's range -> inf, as in C
            if bscale == 1.0 and bzero == 0.0:
                return stored.astype(dtype)
            return (stored.astype(np.float64) * bscale + bzero).astype(dtype)
    if bzero == 0.0:
        return stored.astype(dtype)
    if bitpix == 8:
        return (stored.astype(np.int16) + int(bzero)).astype(np.int8)
    if bitpix == 16:
        return (stored.astype(np.int32) + int(bzero)).astype(np.uint16)
    if bitpix == 32:
        return (stored.astype(np.int64) + int(bzero)).astype(np.uint32)
    # int64 + 2**63 wraps modulo 2**64 onto the uint64 value
    return stored.astype(np.int64).view(np.uint64) + np.uint64(2**63)


def decode_typed(raw, dtype=None, *, scale=1.0, offset=0.0, out_dtype=np.float32, out=None,
                 threads=None):
    """Stored numbers of any byte order: numpy's own cast, or value * scale + offset in
    float64; exact routes add the offset in Python integers (no wrap-around trick)."""
    dtype = np.dtype(dtype if dtype is not None else raw.dtype)
    buf = raw.reshape(-1).view(np.uint8) if isinstance(raw, np.ndarray) else raw
    stored = np.frombuffer(bytes(buf), dtype=dtype)
    out_dtype = np.dtype(out_dtype)
    unscaled = scale == 1.0 and offset == 0.0
    if out_dtype.kind == "f" and out_dtype.itemsize >= 4 and not (
            unscaled and out_dtype == dtype.newbyteorder("=")):
        with np.errstate(over="ignore", invalid="ignore"):
            if unscaled:
                return stored.astype(out_dtype)
            return (stored.astype(np.float64) * scale + offset).astype(out_dtype)
    if offset == 0.0:
        return stored.astype(out_dtype)  # a byte swap: every bit kept
    return np.array([int(v) + int(offset) for v in stored.tolist()], dtype=out_dtype)


def encode(arr, bitpix, *, bscale=1.0, bzero=0.0, out=None, threads=None):
    disk = np.dtype(DISK[bitpix])
    if arr.dtype.kind == "f":
        if bscale == 1.0 and bzero == 0.0:
            if disk.kind == "f":
                return arr.astype(disk).reshape(-1).view(np.uint8)
            v = arr.astype(np.float64)
        else:
            v = (arr.astype(np.float64) - bzero) / bscale
        if disk.kind == "f":
            return v.astype(disk).reshape(-1).view(np.uint8)
        v = np.rint(v)
        info = np.iinfo(disk)
        with np.errstate(invalid="ignore"):
            if np.isnan(v).any() or (v < info.min).any() or (v >= float(info.max) + 1).any():
                raise OverflowError("value out of range")
        return v.astype(disk).reshape(-1).view(np.uint8)
    # integers: stored = value - bzero, exactly
    if bitpix == 64 and bzero:
        stored = (arr.astype(np.uint64) - np.uint64(2**63)).view(np.int64)
    else:
        stored = arr.astype(np.int64) - int(bzero)
    return stored.astype(disk).reshape(-1).view(np.uint8)


def transcode_u16_to_f32be(raw, out=None, threads=None):
    stored = _stored(raw, 16)
    return (stored.astype(np.int32) + 32768).astype(">f4").view(np.uint8)


def combine_dq(pixeldq, groupdq, *, rules="or", mask=0xFF, out=None, threads=None):
    g = groupdq & np.uint8(mask)
    anyg = np.bitwise_or.reduce(g, axis=1).astype(np.uint32)
    if rules == "or":
        return pixeldq[None] | anyg
    res = pixeldq[None] | (anyg & (JUMP | PERSIST | SAT))
    all_sat = np.all((g & SAT) != 0, axis=1)
    all_bad = np.all((g & (DNU | SAT)) != 0, axis=1)
    first_sat = (g[:, 0] & SAT) != 0 if g.shape[1] else np.zeros(all_sat.shape, bool)
    res |= np.where(first_sat | all_bad, DNU, 0).astype(np.uint32)
    res |= np.where(all_sat, SAT | DNU, 0).astype(np.uint32)
    return res


def collapse_dq(dq, *, rules="or", out=None, threads=None):
    any_ = np.bitwise_or.reduce(dq, axis=0)
    if rules == "or":
        return any_
    every = np.bitwise_and.reduce(dq, axis=0) if dq.shape[0] else np.zeros(dq.shape[1:], dq.dtype)
    return (any_ & ~np.uint32(DNU)) | (every & np.uint32(DNU))


def err_from_variances(*variances, out=None, dtype=None, threads=None):
    if variances[0].dtype.newbyteorder("=") == np.float32:
        # big-endian (FITS) inputs are byte-swapped first: astype keeps every bit
        variances = [v.astype(np.float32) for v in variances]
        total = variances[0] + variances[1]
        if len(variances) == 3:
            total = total + variances[2]
        return np.sqrt(total)
    f = [v.astype(np.float32) for v in variances]
    total = f[0] + f[1]
    if len(f) == 3:
        total = total + f[2]
    return np.sqrt(total).astype(dtype or np.float32)


def fits_checksum(buf, *, initial=0, threads=None):
    """Appendix J of the FITS standard: sum the 16-bit halves separately, fold carries."""
    words = np.frombuffer(bytes(buf), dtype=">u4")
    hi = int((words >> 16).astype(np.uint64).sum()) + (initial >> 16)
    lo = int((words & 0xFFFF).astype(np.uint64).sum()) + (initial & 0xFFFF)
    while (hi >> 16) or (lo >> 16):
        hicarry, locarry = hi >> 16, lo >> 16
        hi = (hi & 0xFFFF) + locarry
        lo = (lo & 0xFFFF) + hicarry
    return (hi << 16) + lo
