"""Replay fuzz inputs through the Python wrappers (ramps._core).

The parameters come from the front of an input exactly as the C harnesses
take them (tests/fuzz/fuzz_common.h: little-endian, zeros once the input runs
out; each fuzz_<target>.c says its layout), so a regression input makes the
same call through Cython as it made in C, with the shapes the wrapper can
express (its lengths are those of real buffers).  Each replay checks the
result against numpy, or that bad arguments raise ValueError / OverflowError
rather than crash.  ``replay(target, data)`` is the entry point.
"""
from __future__ import annotations

import struct

import numpy as np

from ramps import _core

MASK64 = (1 << 64) - 1
SPECIAL = (1.0, 0.0, 32768.0, 2147483648.0, -128.0, -1.0, 0.5, 1e-3, 9223372036854775808.0)
DTYPES = {1: "i1", 2: "u1", 3: "i2", 4: "u2", 5: "i4", 6: "u4", 7: "i8", 8: "u8",
          9: "f2", 10: "f4", 11: "f8"}


class Provider:
    """fdp of fuzz_common.h."""

    def __init__(self, data: bytes):
        self.data, self.pos = bytes(data), 0

    def uint(self, k: int) -> int:
        chunk = self.data[self.pos:self.pos + k]
        self.pos += len(chunk)
        return int.from_bytes(chunk + bytes(k - len(chunk)), "little")

    def u8(self) -> int:
        return self.uint(1)

    def u16(self) -> int:
        return self.uint(2)

    def u32(self) -> int:
        return self.uint(4)

    def u64(self) -> int:
        return self.uint(8)

    def real(self) -> float:
        k = self.u8() % 16
        return SPECIAL[k] if k < 9 else struct.unpack("<d", self.u64().to_bytes(8, "little"))[0]

    def threads(self) -> int:
        return 1 + self.u8() % 4

    def rest(self, misalign: int = 0) -> np.ndarray:
        """The rest as a uint8 array starting misalign bytes into its buffer."""
        tail = self.data[self.pos:]
        self.pos = len(self.data)
        return np.frombuffer(bytes(misalign) + tail, np.uint8)[misalign:]


def _same(got, want) -> None:
    """Equal values (NaN equal to NaN, payloads aside)."""
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def fits_scan(f: Provider) -> None:
    buf = f.rest()
    for base, at_eof, cap in ((0, True, 16), (2880, False, 2)):
        res = _core.fits_scan(buf, base, at_eof, cap)
        assert len(res.hdus) <= cap and res.next_offset >= base
        end = base
        for h in res.hdus:
            assert h.header_offset == end and h.data_offset >= h.header_offset + 2880
            end = h.data_offset + -(-h.data_size // 2880) * 2880
        assert res.next_offset == end


def decode_typed(f: Provider) -> None:
    code, order = f.u8() % 13, f.u8() % 3
    scale, offset = f.real(), f.real()
    threads, misalign = f.threads(), f.u8() % 8
    src = f.rest(misalign)
    if code not in DTYPES or order == 2:
        return  # C's RAMPS_EINVAL cases: the wrapper takes dtype strings, which cannot say them
    stored = ("><"[order]) + DTYPES[code]
    width = int(stored[2:])
    n = len(src) // width
    src = src[:n * width]
    x = src.view(stored) if len(src) else np.zeros(0, stored)
    out32, out64 = np.empty(n, np.float32), np.empty(n, np.float64)
    _core.decode_f32(src, out32, stored, scale, offset, threads)
    _core.decode_f64(src, out64, stored, scale, offset, threads)
    with np.errstate(all="ignore"):
        if scale == 1.0 and offset == 0.0:
            _same(out64, x.astype(np.float64))
            _same(out32, x.astype(np.float32))
        else:
            want = x.astype(np.float64) * scale + offset
            _same(out64, want)
            _same(out32, want.astype(np.float32))


def codec(f: Provider) -> None:
    pick, raw = f.u8() % 8, f.u32()
    bitpix = (8, 16, 32, 64, -32, -64)[pick] if pick < 6 else (
        raw - (1 << 32) if raw >= 1 << 31 else raw) if pick == 6 else 0
    bscale, bzero = f.real(), f.real()
    is64, threads, misalign = f.u8() & 1, f.threads(), f.u8() % 8
    xwidth, xorder, xmask = (1, 2, 4, 8, 3)[f.u8() % 5], f.u8() % 3, f.u64()
    rest = f.rest()
    dt = np.float64 if is64 else np.float32
    vals = np.frombuffer(rest[:len(rest) // dt().itemsize * dt().itemsize].tobytes(), dt)
    width = abs(bitpix) // 8
    out = np.zeros(misalign + len(vals) * width, np.uint8)[misalign:]
    encode = _core.encode_f64 if is64 else _core.encode_f32
    valid = bitpix in (8, 16, 32, 64, -32, -64)
    with np.errstate(all="ignore"):
        scaled = vals.astype(np.float64)
        if not (bscale == 1.0 and bzero == 0.0):
            scaled = (scaled - bzero) / bscale
        r = np.rint(scaled)
        if bitpix == 64:
            bad = bool(np.any(~((r >= -2.0**63) & (r < 2.0**63))))
        elif bitpix in (8, 16, 32):
            lo, hi = {8: (0, 255), 16: (-2**15, 2**15 - 1), 32: (-2**31, 2**31 - 1)}[bitpix]
            bad = bool(np.any(~((r >= lo) & (r <= hi))))
        else:
            bad = False
        want = scaled if bitpix == -64 else scaled.astype(np.float32) if bitpix == -32 else r
    try:
        encode(vals, out, bitpix, bscale, bzero, threads)
        raised = None
    except (ValueError, OverflowError) as e:
        raised = type(e)
    if not valid or not (bscale != 0 and np.isfinite(bscale) and np.isfinite(bzero)):
        assert raised is ValueError
    elif bad:
        assert raised is OverflowError
    else:
        assert raised is None
        stored = {8: ">u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}[bitpix]
        back = out.view(stored).astype(np.float64) if len(out) else np.zeros(0)
        _same(back, want)
    if xwidth != 3 and xorder != 2:
        stored = "><"[xorder] + "u%d" % xwidth
        src = rest[:len(rest) // xwidth * xwidth]
        dst = np.empty_like(src)
        _core.load_xor(src, dst, stored, xmask, threads)
        want = src.view(stored).astype("=u%d" % xwidth) ^ np.array(
            xmask & ((1 << 8 * xwidth) - 1)).astype("=u%d" % xwidth)
        _same(dst.view("=u%d" % xwidth), want)


def transcode(f: Provider) -> None:
    threads, in_mis, out_mis = f.threads(), f.u8() % 8, f.u8() % 8
    src = f.rest(in_mis)
    src = src[:len(src) // 2 * 2]
    dst = np.zeros(out_mis + 2 * len(src), np.uint8)[out_mis:]
    _core.transcode_u16_f32be(src, dst, threads)
    want = (src.view(">i2").astype(np.int32) + 32768).astype(">f4")
    _same(dst, np.frombuffer(want.tobytes(), np.uint8))


def _ref_checksum(buf: np.ndarray, initial: int) -> int:
    s = initial + int(buf.view(">u4").astype(np.uint64).sum()) if len(buf) else initial
    while s >> 32:
        s = (s & 0xFFFFFFFF) + (s >> 32)
    return s


def checksum(f: Provider) -> None:
    initial, split, threads, misalign = f.u32(), f.u32(), f.threads(), f.u8() % 8
    buf = f.rest(misalign)
    if len(buf) % 4:
        try:
            _core.fits_checksum(buf, initial, threads)
            raise AssertionError("a length not a multiple of 4 was accepted")
        except ValueError:
            pass
        buf = buf[:len(buf) // 4 * 4]
    whole = _core.fits_checksum(buf, initial, threads)
    assert whole == _ref_checksum(buf, initial)
    k = split % (len(buf) // 4 + 1) * 4 if len(buf) else 0
    b = _core.fits_checksum(buf[k:], _core.fits_checksum(buf[:k], initial, threads), threads)
    assert b == whole or {b, whole} == {0, 0xFFFFFFFF}


def dq(f: Provider) -> None:
    mode = f.u8()
    if mode % 4 == 3:
        nints, ngroups, npix = f.u64(), f.u64(), f.u64()
    else:
        nints, ngroups, npix = f.u8() % 6, f.u8() % 9, f.u16() % 700
    mask, and_bits, threads = f.u8(), f.u32(), f.threads()
    if npix > 1 << 16 or nints * npix > 1 << 16 or nints * npix * ngroups > 1 << 16:
        # as large as C's overflow inputs can be said here: a pixeldq of at most
        # 4 pixels and the harness's 4-element buffers; the wrapper must refuse
        p = min(npix, 4)
        pdq, g, out = np.zeros(p, np.uint32), np.zeros(4, np.uint8), np.zeros(4, np.uint32)
        for stcal in (False, True):
            try:
                _core.combine_dq(pdq, g, out, nints & MASK64, ngroups & MASK64, mask, stcal,
                                 threads)
                raise AssertionError("an impossible shape was accepted")
            except (ValueError, OverflowError):
                pass
        if p and nints:
            try:
                _core.collapse_dq(np.zeros(4, np.uint32), np.zeros(p, np.uint32), nints, and_bits)
                raise AssertionError("an impossible shape was accepted")
            except (ValueError, OverflowError):
                pass
        return
    body = f.rest()
    g = np.zeros(nints * ngroups * npix, np.uint8)
    g[:min(len(g), len(body))] = body[:len(g)]
    pbytes = np.zeros(4 * npix, np.uint8)
    after = body[len(g):]
    pbytes[:min(len(pbytes), len(after))] = after[:len(pbytes)]
    pdq = pbytes.view("<u4").astype(np.uint32)
    out = np.empty(nints * npix, np.uint32)
    _core.combine_dq(pdq, g, out, nints, ngroups, mask, False, threads)
    gm = g.reshape(nints, ngroups, npix) & mask
    _same(out.reshape(nints, npix),
          pdq | np.bitwise_or.reduce(gm, axis=1, initial=0).astype(np.uint32))
    _core.combine_dq(pdq, g, out, nints, ngroups, mask, True, threads)
    col = np.empty(npix, np.uint32)
    _core.collapse_dq(out, col, nints, and_bits, threads)
    o = out.reshape(nints, npix)
    anyv = np.bitwise_or.reduce(o, axis=0, initial=0)
    allv = np.bitwise_and.reduce(o, axis=0, initial=0xFFFFFFFF)
    _same(col, (anyv & ~np.uint32(and_bits)) | (allv & anyv & np.uint32(and_bits)))


def err(f: Provider) -> None:
    variant, three = f.u8() % 4, f.u8() & 1
    threads, misalign = f.threads(), f.u8() % 8
    rest = f.rest(misalign)
    k, esz = (3 if three else 2), (2 if variant >= 2 else 4)
    n = len(rest) // (esz * k)
    parts = [rest[i * n * esz:(i + 1) * n * esz] for i in range(k)]
    with np.errstate(all="ignore"):
        if variant == 1:
            vs = [p.view(">f4").astype(np.float32) for p in parts]
            out = np.empty(n, np.float32)
            _core.err_f32be(parts[0], parts[1], parts[2] if three else None, out, threads)
        elif variant == 0:
            vs = [np.frombuffer(p.tobytes(), np.float32) for p in parts]
            out = np.empty(n, np.float32)
            _core.err_f32(vs[0], vs[1], vs[2] if three else None, out, threads)
        else:
            hs = [np.frombuffer(p.tobytes(), np.uint16) for p in parts]
            vs = [h.view(np.float16).astype(np.float32) for h in hs]
            out = np.empty(n, np.float16 if variant == 3 else np.float32)
            _core.err_f16(hs[0], hs[1], hs[2] if three else None,
                          out.view(np.uint16) if variant == 3 else out, variant == 3, threads)
        s = vs[0] + vs[1]
        if three:
            s = s + vs[2]
        want = np.sqrt(s)
        _same(out, want.astype(np.float16) if variant == 3 else want)


REPLAYS = {"fits_scan": fits_scan, "decode_typed": decode_typed, "codec": codec,
           "transcode": transcode, "checksum": checksum, "dq": dq, "err": err}


def replay(target: str, data: bytes) -> None:
    """Make the call the C harness of ``target`` makes for ``data``, through Python."""
    REPLAYS[target](Provider(data))
