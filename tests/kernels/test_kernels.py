"""Parity of ramps.kernels against the numpy reference (tests/reference.py).

One harness over generated inputs: edge values, lengths around vector widths
and odd lengths, empty arrays, both accepted input forms, threads=1 vs 2
bit-identical, inputs unchanged after each call.
"""

from __future__ import annotations

import numpy as np
import pytest

import reference as ref
from ramps import _core, kernels

LENGTHS = [0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 255, 1001, 4097]
BIG = 7 * 10_001  # above the C kernels' single-thread cut-off (and divisible by 7)

EDGE = {
    8: [0, 1, 127, 128, 255],
    16: [-32768, -32767, -1, 0, 1, 32767],
    32: [-(2**31), -1, 0, 1, 2**31 - 1, 2**24 + 1],
    64: [-(2**63), -1, 0, 1, 2**63 - 1, 2**53 + 1, 2**62 + 3],
    -32: [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-45, -1e-45, 1.1754942e-38, 3.4028235e38, 1.5],
    -64: [0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, 1.7976931348623157e308, 1e-310, 2.5],
}


def stored(bitpix, n, seed=0):
    """n big-endian values of BITPIX, edge values first, then random."""
    rng = np.random.default_rng(seed + n + abs(bitpix))
    disk = np.dtype(ref.DISK[bitpix])
    if disk.kind == "f":
        vals = rng.standard_normal(n) * 1e4
    else:
        info = np.iinfo(disk)
        vals = rng.integers(info.min, info.max, size=n, endpoint=True, dtype=np.int64 if bitpix < 64 or True else None)
    out = np.asarray(vals).astype(disk)
    edge = np.array(EDGE[bitpix][:n]).astype(disk)
    out[: len(edge)] = edge
    return out


def same(a, b):
    """Equal values and dtype; NaN equal to NaN (payloads may differ)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype.newbyteorder("=") == b.dtype.newbyteorder("="), (a.dtype, b.dtype)
    np.testing.assert_array_equal(a.reshape(-1), b.reshape(-1))
    if a.dtype.kind == "f":  # signed zeros too
        np.testing.assert_array_equal(np.signbit(a.reshape(-1)), np.signbit(b.reshape(-1)))


DECODE_CASES = [
    (16, 1.0, 32768.0, np.float32),  # the hot case: uint16 ramps
    (16, 1.0, 32768.0, np.float64),
    (16, 1.0, 32768.0, np.uint16),
    (16, 1.0, 0.0, np.int16),
    (16, 1.0, 0.0, np.float32),
    (16, 2.5, -3.0, np.float32),
    (8, 1.0, 0.0, np.uint8),
    (8, 1.0, -128.0, np.int8),
    (8, 0.5, 1.0, np.float64),
    (32, 1.0, 2147483648.0, np.uint32),
    (32, 1.0, 0.0, np.int32),
    (32, 1.0, 2147483648.0, np.float64),
    (32, 1.0, 0.0, np.float32),
    (64, 1.0, 0.0, np.int64),
    (64, 1.0, 9223372036854775808.0, np.uint64),
    (64, 1.0, 0.0, np.float32),
    (64, 3.0, 1.0, np.float64),
    (-32, 1.0, 0.0, np.float32),
    (-32, 1.0, 0.0, np.float64),
    (-32, 2.0, 10.0, np.float32),
    (-64, 1.0, 0.0, np.float64),
    (-64, 1.0, 0.0, np.float32),
    (-64, 1e-3, 5.0, np.float64),
]


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("bitpix,bscale,bzero,dtype", DECODE_CASES)
def test_decode_parity(bitpix, bscale, bzero, dtype, n):
    raw = stored(bitpix, n)
    before = raw.copy()
    expected = ref.decode(raw, bitpix, bscale=bscale, bzero=bzero, dtype=dtype)
    as_array = kernels.decode(raw, bitpix, bscale=bscale, bzero=bzero, dtype=dtype)
    as_bytes = kernels.decode(raw.tobytes(), bitpix, bscale=bscale, bzero=bzero, dtype=dtype)
    same(as_array, expected)
    same(as_bytes, expected)
    np.testing.assert_array_equal(raw, before)


@pytest.mark.parametrize("bitpix,bscale,bzero,dtype", DECODE_CASES)
def test_decode_threads_identical_and_out(bitpix, bscale, bzero, dtype):
    raw = stored(bitpix, BIG)
    one = kernels.decode(raw, bitpix, bscale=bscale, bzero=bzero, dtype=dtype, threads=1)
    out = np.empty((7, BIG // 7), dtype)
    two = kernels.decode(raw, bitpix, bscale=bscale, bzero=bzero, dtype=dtype, out=out, threads=2)
    assert two is out
    assert one.view(np.uint8).tobytes() == two.view(np.uint8).tobytes()
    same(one, ref.decode(raw, bitpix, bscale=bscale, bzero=bzero, dtype=dtype))


def test_decode_hot_case_by_hand():
    """Stored int16 -32768, 0, 32767 with BZERO=32768 are the counts 0, 32768, 65535.

    On disk (big-endian) -32768 is 0x80 0x00; flipping the sign bit gives 0x0000 = 0.
    """
    raw = bytes([0x80, 0x00, 0x00, 0x00, 0x7F, 0xFF])
    np.testing.assert_array_equal(kernels.decode(raw, 16, bzero=32768), [0.0, 32768.0, 65535.0])
    np.testing.assert_array_equal(kernels.decode(raw, 16, bzero=32768, dtype=np.uint16),
                                  np.array([0, 32768, 65535], np.uint16))


# ---- decode_typed: stored numbers described by (dtype, byte order) --------------------

TYPED = ["i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8"]
# float NaNs with distinct payloads (quiet, signalling, negative) per width
TYPED_NANS = {2: [0x7E01, 0x7C02, 0xFE03], 4: [0x7FC00001, 0x7F800002, 0xFFC12345],
              8: [0x7FF8000000000001, 0x7FF0000000000002, 0xFFF8000000012345]}


def typed_values(code, n, seed=0):
    """n values of kind+width ``code`` (native): edge values, NaN payloads for floats,
    then random."""
    rng = np.random.default_rng(seed + n + int(code[1]))
    dt = np.dtype(code)
    if dt.kind == "f":
        big = float(np.finfo(dt).max)
        vals = (rng.standard_normal(n) * (100 if dt.itemsize == 2 else 1e4)).astype(dt)
        edge = [0.0, -0.0, np.nan, np.inf, -np.inf, float(np.finfo(dt).smallest_subnormal),
                big, -big, 1.5]
        edge = np.array(edge, dt)
        nans = np.array(TYPED_NANS[dt.itemsize], f"u{dt.itemsize}").view(dt)
        edge = np.concatenate([edge, nans])
    else:
        info = np.iinfo(dt)
        vals = rng.integers(info.min, info.max, size=n, endpoint=True, dtype=dt)
        edge = np.array([info.min, info.min + 1, info.max, info.max - 1, 0, 1]
                        + ([-1] if dt.kind == "i" else []), dt)
    vals[: min(n, edge.size)] = edge[: min(n, edge.size)]
    return vals


def typed_raw(code, order, n, byte_offset=0, seed=0):
    """The stored bytes of typed_values in byte ``order``, as a read-only uint8 array
    starting ``byte_offset`` bytes into its buffer (unaligned for odd offsets)."""
    data = typed_values(code, n, seed).astype(np.dtype(code).newbyteorder(order)).tobytes()
    buf = bytes(byte_offset) + data + b"\0"
    return np.frombuffer(buf, np.uint8, count=len(data), offset=byte_offset)


def typed_cases():
    """(stored dtype, scale, offset, out_dtype) over every stored type, both orders."""
    cases = []
    for code in TYPED:
        dt = np.dtype(code)
        for order in "<>":
            stored = dt.newbyteorder(order).str if dt.itemsize > 1 else dt.str
            cases += [(stored, 1.0, 0.0, np.float32), (stored, 1.0, 0.0, np.float64),
                      (stored, 2.5, -3.0, np.float32), (stored, 1e-3, 7.0, np.float64),
                      (stored, 1.0, 100.0, np.float32), (stored, 1.0, 0.0, dt)]
            if dt.kind in "iu":
                other = ("u" if dt.kind == "i" else "i") + code[1:]
                sign_bit = 2.0 ** (8 * dt.itemsize - 1)
                cases.append((stored, 1.0, sign_bit if dt.kind == "i" else -sign_bit, other))
            if dt.itemsize == 1:
                break  # one byte order
    return cases


def _bits(a):
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8).tobytes()


@pytest.mark.parametrize("stored,scale,offset,out_dtype", typed_cases())
def test_decode_typed_parity(stored, scale, offset, out_dtype):
    """Every bit as numpy's cast (NaN payloads included) over odd lengths and byte
    offsets, for bytes, a uint8 array and an array of the stored dtype."""
    kw = dict(scale=scale, offset=offset, out_dtype=out_dtype)
    for n in [0, 1, 3, 7, 16, 17, 65, 1001]:
        for byte_offset in (0, 1, 3):
            raw = typed_raw(stored[1:], stored[0], n, byte_offset)
            before = raw.tobytes()
            expected = ref.decode_typed(raw, stored, **kw)
            got = kernels.decode_typed(raw, stored, **kw)
            assert got.dtype == np.dtype(out_dtype) and got.dtype.isnative
            assert _bits(got) == _bits(expected), (n, byte_offset)
            assert _bits(kernels.decode_typed(raw.tobytes(), stored, **kw)) == _bits(expected)
            typed = raw.view(stored)
            assert _bits(kernels.decode_typed(typed, **kw)) == _bits(expected)
            assert raw.tobytes() == before


@pytest.mark.parametrize("stored,scale,offset,out_dtype",
                         [c for c in typed_cases() if c[0][0] in "<|"])
def test_decode_typed_threads_identical_and_out(stored, scale, offset, out_dtype):
    """threads=1, 2 and None give the same bytes; out= of any shape is filled."""
    raw = typed_raw(stored[1:], stored[0], BIG, 1)
    kw = dict(scale=scale, offset=offset, out_dtype=out_dtype)
    one = kernels.decode_typed(raw, stored, threads=1, **kw)
    out = np.empty((7, BIG // 7), out_dtype)
    two = kernels.decode_typed(raw, stored, out=out, threads=2, **kw)
    every = kernels.decode_typed(raw, stored, threads=None, **kw)
    assert two is out
    assert _bits(one) == _bits(two) == _bits(every) == _bits(ref.decode_typed(raw, stored, **kw))
    if stored[0] == "<" and stored[1:] != "f2":  # big-endian twin, same values
        swapped = np.frombuffer(raw.tobytes(), stored).astype(stored.replace("<", ">"))
        assert _bits(kernels.decode_typed(swapped, threads=2, **kw)) == _bits(one)


@pytest.mark.parametrize("bitpix,bscale,bzero,dtype", DECODE_CASES)
def test_decode_is_decode_typed_of_the_bitpix_dtype(bitpix, bscale, bzero, dtype):
    """FITS decode is the typed decode of BITPIX's big-endian dtype, BZERO the offset."""
    raw = stored(bitpix, 1001)
    assert _bits(kernels.decode(raw, bitpix, bscale=bscale, bzero=bzero, dtype=dtype)) == _bits(
        kernels.decode_typed(raw, scale=bscale, offset=bzero, out_dtype=dtype))


def test_decode_typed_by_hand():
    """Little-endian uint16 0x0102 is the bytes 02 01 (258); big-endian it is 01 02.
    float16 0x3C00 is 1.0 and 0x7BFF its largest value 65504; uint8 255 - 128 is int8 127."""
    le = bytes([0x02, 0x01, 0xFF, 0xFF])
    np.testing.assert_array_equal(kernels.decode_typed(le, "<u2"), np.float32([258, 65535]))
    np.testing.assert_array_equal(kernels.decode_typed(le, ">u2", out_dtype=np.uint16),
                                  np.uint16([0x0201, 0xFFFF]))
    np.testing.assert_array_equal(kernels.decode_typed(le, "<i2", scale=2.0, offset=1.0,
                                                       out_dtype=np.float64), [517.0, -1.0])
    halves = bytes([0x00, 0x3C, 0xFF, 0x7B])
    np.testing.assert_array_equal(kernels.decode_typed(halves, "<f2"), np.float32([1, 65504]))
    np.testing.assert_array_equal(kernels.decode_typed(b"\xff\x00", "u1", offset=-128,
                                                       out_dtype=np.int8), np.int8([127, -128]))


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("dtype,bitpix,bscale,bzero", [
    (np.float32, -32, 1.0, 0.0),
    (np.float64, -64, 1.0, 0.0),
    (np.float64, -32, 1.0, 0.0),
    (np.float32, -64, 1.0, 0.0),
    (np.float32, -32, 2.0, 1.0),
    (np.uint16, 16, 1.0, 32768.0),
    (np.int16, 16, 1.0, 0.0),
    (np.uint8, 8, 1.0, 0.0),
    (np.int8, 8, 1.0, -128.0),
    (np.uint32, 32, 1.0, 2147483648.0),
    (np.int32, 32, 1.0, 0.0),
    (np.int64, 64, 1.0, 0.0),
    (np.uint64, 64, 1.0, 9223372036854775808.0),
])
def test_encode_parity(dtype, bitpix, bscale, bzero, n):
    rng = np.random.default_rng(n)
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        arr = (rng.standard_normal(n) * 1e3).astype(dtype)
        arr[: min(n, 5)] = np.array([0.0, -0.0, np.inf, -np.inf, 1e-40])[: min(n, 5)]
    else:
        info = np.iinfo(dtype)
        arr = rng.integers(info.min, info.max, size=n, endpoint=True, dtype=dtype)
        arr[: min(n, 2)] = np.array([info.min, info.max], dtype)[: min(n, 2)]
    before = arr.copy()
    got = kernels.encode(arr, bitpix, bscale=bscale, bzero=bzero)
    assert got.tobytes() == ref.encode(arr, bitpix, bscale=bscale, bzero=bzero).tobytes()
    np.testing.assert_array_equal(arr, before)
    # and back again, exactly, for the lossless pairs (scaling can turn -0.0 into +0.0)
    unscaled = bscale == 1.0 and bzero == 0.0
    if dtype.kind in "iu" or unscaled and (bitpix == -64 or dtype == np.float32):
        back = kernels.decode(got, bitpix, bscale=bscale, bzero=bzero, dtype=dtype)
        same(back, arr)


def test_encode_float_to_integer_rounds_half_even_and_checks_range():
    """(x - 10) / 0.5 for x = 10.25, 10.75, 11.25 is 0.5, 1.5, 2.5 -> 0, 2, 2 (half to even)."""
    x = np.array([10.25, 10.75, 11.25], np.float64)
    got = kernels.encode(x, 16, bscale=0.5, bzero=10.0)
    np.testing.assert_array_equal(np.frombuffer(got.tobytes(), ">i2"), [0, 2, 2])
    for bad in (np.nan, 40000.0):
        with pytest.raises(OverflowError, match="BITPIX=16"):
            kernels.encode(np.array([1.0, bad], np.float32), 16)
    with pytest.raises(OverflowError):
        ref.encode(np.array([np.nan], np.float32), 16)


@pytest.mark.parametrize("n", LENGTHS + [BIG])
def test_transcode_parity(n):
    raw = stored(16, n)
    before = raw.copy()
    got = kernels.transcode_u16_to_f32be(raw)
    assert got.tobytes() == ref.transcode_u16_to_f32be(raw).tobytes()
    # same bytes as decode then encode through native float32
    assert got.tobytes() == kernels.encode(kernels.decode(raw, 16, bzero=32768), -32).tobytes()
    np.testing.assert_array_equal(raw, before)
    if n >= BIG:
        assert kernels.transcode_u16_to_f32be(raw, threads=1).tobytes() == \
            kernels.transcode_u16_to_f32be(raw, threads=2).tobytes()


def dq_inputs(nints, ngroups, ny, nx, seed=0):
    """Random DQ with realistic structure: sparse flags, saturation that persists."""
    rng = np.random.default_rng(seed)
    pixeldq = (rng.random((ny, nx)) < 0.1) * rng.integers(0, 2**32, (ny, nx), dtype=np.uint32)
    pixeldq = pixeldq.astype(np.uint32)
    groupdq = np.where(rng.random((nints, ngroups, ny, nx)) < 0.2,
                       rng.integers(0, 256, (nints, ngroups, ny, nx)), 0).astype(np.uint8)
    sat_from = rng.integers(0, ngroups + 2, (nints, ny, nx))
    g = np.arange(ngroups)[None, :, None, None]
    groupdq |= np.where(g >= sat_from[:, None], 2, 0).astype(np.uint8)
    return pixeldq, groupdq


DQ_SHAPES = [(0, 3, 4, 5), (1, 0, 4, 5), (2, 3, 0, 5), (1, 1, 1, 1), (2, 5, 3, 7),
             (3, 4, 17, 33), (2, 10, 64, 129), (1, 2, 70, 70)]


@pytest.mark.parametrize("shape", DQ_SHAPES)
@pytest.mark.parametrize("rules", ["or", "stcal"])
@pytest.mark.parametrize("mask", [0xFF, 0x07])
def test_combine_dq_parity(shape, rules, mask):
    pixeldq, groupdq = dq_inputs(*shape)
    p0, g0 = pixeldq.copy(), groupdq.copy()
    got = kernels.combine_dq(pixeldq, groupdq, rules=rules, mask=mask)
    expected = ref.combine_dq(pixeldq, groupdq, rules=rules, mask=mask)
    assert got.dtype == np.uint32 and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(pixeldq, p0)
    np.testing.assert_array_equal(groupdq, g0)


@pytest.mark.parametrize("rules", ["or", "stcal"])
def test_combine_dq_threads_and_out(rules):
    pixeldq, groupdq = dq_inputs(3, 6, 96, 200, seed=5)
    one = kernels.combine_dq(pixeldq, groupdq, rules=rules, threads=1)
    out = np.empty_like(one)
    two = kernels.combine_dq(pixeldq, groupdq, rules=rules, threads=2, out=out)
    assert two is out
    np.testing.assert_array_equal(one, two)


def _stcal_pixel(groups, pixeldq=0):
    """combine_dq of one pixel with the given group flags, one integration."""
    gdq = np.array(groups, np.uint8).reshape(1, len(groups), 1, 1)
    return int(kernels.combine_dq(np.array([[pixeldq]], np.uint32), gdq, rules="stcal")[0, 0, 0])


def test_stcal_rule_pixeldq_kept():
    """pixeldq flags pass through untouched: 2**20 (any bit) with clean groups -> 2**20."""
    assert _stcal_pixel([0, 0, 0], pixeldq=2**20) == 2**20


def test_stcal_rule_jump_and_persistence_copied():
    """A JUMP_DET (4) in group 1 and PERSISTENCE (32) in group 2 -> 4 | 32 = 36."""
    assert _stcal_pixel([0, 4, 32, 0]) == 36


def test_stcal_rule_saturation_later_group():
    """Saturation from group 2 on (groups 0, 1 good): SATURATED (2) only, pixel still usable."""
    assert _stcal_pixel([0, 0, 2, 2]) == 2


def test_stcal_rule_first_group_saturated():
    """Group 0 saturated (so all are, as saturation persists): SATURATED | DO_NOT_USE = 3.

    Also the rule on its own: group 0 saturated but a later group not (unusual,
    after a reset anomaly) still gives DO_NOT_USE (1) | SATURATED (2) = 3.
    """
    assert _stcal_pixel([2, 2, 2]) == 3
    assert _stcal_pixel([2, 0, 0]) == 3


def test_stcal_rule_all_groups_unusable():
    """Every group DO_NOT_USE or SATURATED, none saturated in group 0: 1 | 2 = 3.

    groups [1, 1, 2]: DNU, DNU, SAT -> DO_NOT_USE (all unusable) | SATURATED (any) = 3.
    groups [1, 1, 1]: DNU only -> 1 (DO_NOT_USE itself is not copied from groups
    unless every group has it).
    """
    assert _stcal_pixel([1, 1, 2]) == 3
    assert _stcal_pixel([1, 1, 1]) == 1
    assert _stcal_pixel([1, 0, 1]) == 0


def test_stcal_rule_not_copied():
    """DROPOUT (8), AD_FLOOR (64), CHARGELOSS (128), OUTLIER (16) are dropped: 0."""
    assert _stcal_pixel([8, 64, 128, 16]) == 0
    # while the "or" rules keep every bit: 8|64|128|16 = 216
    gdq = np.array([8, 64, 128, 16], np.uint8).reshape(1, 4, 1, 1)
    assert kernels.combine_dq(np.zeros((1, 1), np.uint32), gdq)[0, 0, 0] == 216


@pytest.mark.parametrize("shape", [(0, 3, 4), (1, 2, 2), (3, 17, 33), (5, 64, 130)])
@pytest.mark.parametrize("rules", ["or", "stcal"])
def test_collapse_dq_parity(shape, rules):
    rng = np.random.default_rng(7)
    dq = rng.integers(0, 8, shape, dtype=np.uint32) | (rng.random(shape) < 0.3).astype(np.uint32)
    before = dq.copy()
    got = kernels.collapse_dq(dq, rules=rules)
    np.testing.assert_array_equal(got, ref.collapse_dq(dq, rules=rules))
    np.testing.assert_array_equal(dq, before)


def test_collapse_dq_stcal_by_hand():
    """DO_NOT_USE in one of two integrations: dropped under stcal, kept under or.

    ints [1|4, 2] -> or: 7; stcal: (4|2) = 6 since DO_NOT_USE is not in every integration.
    """
    dq = np.array([5, 2], np.uint32).reshape(2, 1, 1)
    assert kernels.collapse_dq(dq)[0, 0] == 7
    assert kernels.collapse_dq(dq, rules="stcal")[0, 0] == 6
    assert kernels.collapse_dq(np.array([1, 1], np.uint32).reshape(2, 1, 1), rules="stcal")[0, 0] == 1


# float32 NaNs with distinct payloads (quiet, signalling, negative), one per
# variance at each position, so that which NaN survives a sum shows in the bits
NAN_BITS = [[0x7FC00001, 0x7F800002, 0xFFC00003],
            [0x7F800004, 0x7FC12345, 0x7F800006],
            [0xFFFFFFFF, 0x7F80000F, 0x7FC00010]]


def variances(dtype, n, k, seed=0):
    """k variance arrays of dtype (float32, float16, or >f4 as FITS stores them):
    edge values first (NaN, inf, 0, negative, tiny; -inf + inf), then NaN payloads
    for float32, then random."""
    rng = np.random.default_rng(seed + n)
    dtype = np.dtype(dtype)
    native = dtype.newbyteorder("=")
    vs = [(rng.random(n) * 100).astype(native) for _ in range(k)]
    edge = [np.nan, np.inf, 0.0, -1.0, 1e-8, 6e-5]
    for v in vs:
        v[: min(n, len(edge))] = np.array(edge[: min(n, len(edge))], native)
    if n > 6:
        vs[0][6] = -np.inf
        vs[1][6] = np.inf  # -inf + inf = nan
    if native == np.float32 and n > 10:
        for j, v in enumerate(vs):
            v.view(np.uint32)[7:10] = np.array(NAN_BITS[j], np.uint32)
            v[10] = 2.0 if j else np.nan  # NaN + number, number + NaN
    return [v.astype(dtype) for v in vs]


ERR_DTYPES = [(np.float32, np.float32), (">f4", np.float32), (np.float16, np.float32),
              (np.float16, np.float16)]


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("dtype,out_dtype", ERR_DTYPES)
def test_err_parity(dtype, out_dtype, k, n):
    vs = variances(dtype, n, k)
    assert all(v.dtype == np.dtype(dtype) for v in vs)
    before = [v.tobytes() for v in vs]
    with np.errstate(invalid="ignore"):
        expected = ref.err_from_variances(*vs, dtype=out_dtype)
    got = kernels.err_from_variances(*vs, dtype=out_dtype)
    assert got.dtype == np.dtype(out_dtype) and got.dtype.isnative
    same(got, expected)
    if np.dtype(dtype).itemsize == 4:  # float32 in: every bit as numpy, NaN payloads too
        assert got.tobytes() == np.asarray(expected, np.float32).tobytes()
    assert [v.tobytes() for v in vs] == before


@pytest.mark.parametrize("dtype,out_dtype", [(np.float32, np.float32), (">f4", np.float32),
                                             (np.float16, np.float16)])
@pytest.mark.parametrize("k", [2, 3])
def test_err_threads_identical(dtype, out_dtype, k):
    vs = [v.reshape(7, -1) for v in variances(dtype, BIG, k)]
    one = kernels.err_from_variances(*vs, dtype=out_dtype, threads=1)
    out = np.empty(vs[0].shape, out_dtype)
    two = kernels.err_from_variances(*vs, out=out, threads=2)
    assert two is out and one.shape == (7, BIG // 7)
    assert one.tobytes() == two.tobytes()
    if dtype == ">f4":  # the big-endian kernel gives the native kernel's bits
        native = kernels.err_from_variances(*(v.astype(np.float32) for v in vs), threads=2)
        assert native.tobytes() == two.tobytes()


def _be_at(values, offset):
    """values as a read-only >f4 array starting `offset` bytes into a buffer (unaligned
    for offsets 1..3), like a memory-mapped FITS extension."""
    buf = bytearray(offset + 4 * values.size + 3)
    buf[offset:offset + 4 * values.size] = values.astype(">f4").tobytes()
    arr = np.frombuffer(bytes(buf), ">f4", count=values.size, offset=offset)
    assert not arr.flags.writeable
    return arr


@pytest.mark.parametrize("n", [1, 3, 5, 7, 13, 4097, BIG])
@pytest.mark.parametrize("offsets", [(0, 0, 0), (1, 2, 3), (3, 0, 1), (2, 2, 2)])
@pytest.mark.parametrize("k", [2, 3])
def test_err_big_endian_unaligned(n, offsets, k):
    """>f4 inputs at any byte offset: the same bits as the native kernel on swapped
    copies and as numpy, for 1 and 2 threads, out= sliced at an odd element."""
    native = variances(np.float32, n, k, seed=11)
    vs = [_be_at(v, off) for v, off in zip(native, offsets)]
    assert all(v.tobytes() == w.astype(">f4").tobytes() for v, w in zip(vs, native))
    with np.errstate(invalid="ignore"):
        expected = ref.err_from_variances(*native).tobytes()
    assert kernels.err_from_variances(*native).tobytes() == expected
    big = np.full(n + 1, 7.0, np.float32)
    for threads in (1, 2):
        assert kernels.err_from_variances(*vs, threads=threads).tobytes() == expected
        got = kernels.err_from_variances(*vs, out=big[1:], threads=threads)
        assert got.tobytes() == expected and big[0] == 7.0


def test_half_conversions_match_numpy_everywhere():
    """All 65536 float16 patterns to float32 and back; 2**20 float32 values to float16."""
    from ramps import _core

    halves = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    as_f32 = np.array([_core.half_to_float(int(h)) for h in halves[::1]], np.float32)
    same(as_f32, halves.view(np.float16).astype(np.float32))
    rng = np.random.default_rng(3)
    bits = rng.integers(0, 2**32, 2**16, dtype=np.uint64).astype(np.uint32)
    floats = np.concatenate([bits.view(np.float32),
                             halves.view(np.float16).astype(np.float32),
                             np.float32([65504, 65519.99, 65520, 65536, 2**-25, 2**-24 * 1.5,
                                         2**-25 * 1.0000001, 2**-14 * (1 - 2**-11)])])
    got = np.array([_core.float_to_half(float(f)) for f in floats], np.uint16).view(np.float16)
    with np.errstate(over="ignore", invalid="ignore"):
        same(got, floats.astype(np.float16))


@pytest.mark.parametrize("n", [0, 4, 8, 12, 2880, 2880 * 3 + 4, 4 * 300_001])
def test_checksum_parity(n):
    rng = np.random.default_rng(n)
    buf = rng.integers(0, 256, n, dtype=np.uint8)
    if n >= 8:
        buf[:8] = 0xFF
    before = buf.copy()
    got = kernels.fits_checksum(buf)
    assert got == ref.fits_checksum(buf)
    assert kernels.fits_checksum(buf, threads=1) == kernels.fits_checksum(buf, threads=2) == got
    np.testing.assert_array_equal(buf, before)
    # incremental: any split at a multiple of 4 gives the same total
    if n >= 8:
        cut = (n // 8) * 4
        assert kernels.fits_checksum(buf[cut:], initial=kernels.fits_checksum(buf[:cut])) == got
        assert ref.fits_checksum(buf[cut:], initial=ref.fits_checksum(buf[:cut])) == got


def test_checksum_by_hand():
    """Two words 0x80000000: sum 0x1_0000_0000 carries end-around to 1. 0xFFFFFFFF stays -0."""
    assert kernels.fits_checksum(bytes([0x80, 0, 0, 0, 0x80, 0, 0, 0])) == 1
    assert kernels.fits_checksum(b"\xff\xff\xff\xff") == 0xFFFFFFFF
    assert kernels.fits_checksum(b"") == 0


def test_checksum_matches_astropy_file(tmp_path):
    """DATASUM and CHECKSUM of a file astropy writes with checksum=True.

    DATASUM is the sum of the data part; CHECKSUM encodes the complement of the
    sum of the header (with CHECKSUM = '0000000000000000') continued from DATASUM.
    """
    from astropy.io import fits

    rng = np.random.default_rng(0)
    data = rng.integers(0, 65535, (37, 53), dtype=np.uint16)
    path = tmp_path / "c.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, name="SCI"),
                  fits.ImageHDU(rng.random((5, 7)).astype(np.float32), name="ERR")]
                 ).writeto(path, checksum=True)
    raw = path.read_bytes()
    with fits.open(path) as hdul:
        for hdu in hdul:
            info = hdu.fileinfo()
            start, dstart, dsize = info["hdrLoc"], info["datLoc"], info["datSpan"]
            datasum = kernels.fits_checksum(raw[dstart:dstart + dsize])
            assert str(datasum) == hdu.header["DATASUM"]
            header = raw[start:dstart].replace(hdu.header["CHECKSUM"].encode(), b"0" * 16, 1)
            total = kernels.fits_checksum(header, initial=datasum)
            assert kernels.checksum_encode(total) == hdu.header["CHECKSUM"]
            # the whole HDU now sums to -0 (all ones), the FITS verification rule
            assert kernels.fits_checksum(raw[start:dstart + dsize]) == 0xFFFFFFFF


BAD_CALLS = [
    (lambda: kernels.decode(np.zeros(4, "<i2"), 16, bzero=32768), TypeError, "big-endian"),
    (lambda: kernels.decode(np.zeros(4, ">f4"), 16), TypeError, "does not match BITPIX=16"),
    (lambda: kernels.decode(np.zeros(3, np.uint8), 16), ValueError, "whole number"),
    (lambda: kernels.decode(np.zeros(4, np.uint8), 12), ValueError, "BITPIX must be one of"),
    (lambda: kernels.decode(np.zeros((4, 4), ">i2")[:, ::2], 16), ValueError, "C-contiguous"),
    (lambda: kernels.decode(np.zeros(4, ">i2"), 16, bzero=32768, dtype=np.int16), TypeError,
     "uint16"),
    (lambda: kernels.decode(np.zeros(4, ">i2"), 16, out=np.empty(5, np.float32)), ValueError,
     "5 elements, 4 expected"),
    (lambda: kernels.decode(np.zeros(4, ">i2"), 16, out=np.empty(4, np.float64)), TypeError,
     "dtype float64"),
    (lambda: kernels.decode(np.zeros(4, ">i2"), 16, threads=0), ValueError, "threads"),
    (lambda: kernels.decode([1, 2], 16), TypeError, "numpy array"),
    (lambda: kernels.encode(np.zeros(4, ">f4"), -32), TypeError, "native byte order"),
    (lambda: kernels.encode(np.zeros(4, np.uint16), 16), TypeError, "exactly"),
    (lambda: kernels.encode(np.zeros(4, np.complex64), -32), TypeError, "supports"),
    (lambda: kernels.combine_dq(np.zeros((2, 2), np.int32), np.zeros((1, 1, 2, 2), np.uint8)),
     TypeError, "pixeldq must have dtype uint32"),
    (lambda: kernels.combine_dq(np.zeros((2, 2), np.uint32), np.zeros((1, 2, 2), np.uint8)),
     ValueError, "groupdq must be 4-D"),
    (lambda: kernels.combine_dq(np.zeros((2, 3), np.uint32), np.zeros((1, 1, 2, 2), np.uint8)),
     ValueError, "does not match"),
    (lambda: kernels.combine_dq(np.zeros((2, 2), np.uint32), np.zeros((1, 1, 2, 2), np.uint8),
                                rules="max"), ValueError, "rules"),
    (lambda: kernels.combine_dq(np.zeros((2, 2), np.uint32), np.zeros((1, 1, 2, 2), np.uint8),
                                out=np.empty((1, 4), np.uint32)), ValueError, "shape"),
    (lambda: kernels.collapse_dq(np.zeros((2, 2), np.uint32)), ValueError, "3-D"),
    (lambda: kernels.err_from_variances(np.zeros(3, np.float32)), TypeError, "2 or 3"),
    (lambda: kernels.err_from_variances(np.zeros(3), np.zeros(3)), TypeError, "float32 or float16"),
    (lambda: kernels.err_from_variances(np.zeros(3, np.float32), np.zeros(4, np.float32)),
     ValueError, "shape"),
    (lambda: kernels.err_from_variances(np.zeros(3, np.float32), np.zeros(3, np.float16)),
     TypeError, "variance 2 must have dtype float32"),
    (lambda: kernels.err_from_variances(np.zeros(3, np.float32), np.zeros(3, np.float32),
                                        dtype=np.float16), TypeError, "float32 ERR"),
    (lambda: kernels.err_from_variances(np.zeros(3, ">f4"), np.zeros(3, "<f4")), TypeError,
     "variance 2 must have dtype >f4.*<f4.*one byte order"),
    (lambda: kernels.err_from_variances(np.zeros(3, ">f4"), np.zeros(3, ">f4"),
                                        np.zeros(3, ">f2")), TypeError,
     "variance 3 must have dtype >f4"),
    (lambda: kernels.err_from_variances(np.zeros(3, "<f4"), np.zeros(3, ">f4")), TypeError,
     "variance 2 must be in native byte order"),
    (lambda: kernels.err_from_variances(np.zeros(3, ">f2"), np.zeros(3, ">f2")), TypeError,
     "variance 1 must be in native byte order"),
    (lambda: kernels.err_from_variances(np.zeros(3, ">f4"), np.zeros(3, ">f8")), TypeError,
     "variance 2 must have dtype >f4"),
    (lambda: kernels.err_from_variances(np.zeros(3, ">f4"), [0.0, 0.0, 0.0]), TypeError,
     "variance 2 must be a numpy array"),
    (lambda: kernels.err_from_variances(np.zeros(3, ">f4"), np.zeros((1, 3), ">f4")),
     ValueError, "variance 2 must be 1-D"),
    (lambda: kernels.err_from_variances(np.zeros(6, ">f4")[::2], np.zeros(3, ">f4")),
     ValueError, "variance 1 must be C-contiguous"),
    (lambda: kernels.err_from_variances(np.zeros(3, ">f4"), np.zeros(4, ">f4")),
     ValueError, "variance 2 has shape"),
    (lambda: kernels.err_from_variances(np.zeros(3, ">f4"), np.zeros(3, ">f4"),
                                        out=np.empty(3, ">f4")), TypeError,
     "give float32 ERR, not >f4"),
    (lambda: kernels.err_from_variances(np.zeros(3, ">f4"), np.zeros(3, ">f4"),
                                        dtype=np.float16), TypeError, "float32 ERR"),
    (lambda: kernels.err_from_variances(np.zeros(3, ">f4"), np.zeros(3, ">f4"),
                                        out=np.empty(4, np.float32)), ValueError,
     "4 elements, 3 expected"),
    (lambda: _core.err_f32be(np.zeros(12, np.uint8), np.zeros(11, np.uint8), None,
                             np.empty(3, np.float32)), ValueError,
     "variance 2 bytes: buffer holds 11 elements, 12 expected"),
    (lambda: kernels.fits_checksum(b"abc"), ValueError, "multiple of 4"),
    (lambda: kernels.decode_typed(b"\0\0"), TypeError, "bytes need a stored dtype"),
    (lambda: kernels.decode_typed(b"\0" * 8, "<c8"), TypeError, "cannot decode stored dtype"),
    (lambda: kernels.decode_typed(np.zeros(4, "<u2"), ">u2"), TypeError,
     "raw has dtype <u2, not the stored dtype >u2"),
    (lambda: kernels.decode_typed(b"\0" * 3, "<u2"), ValueError, "whole number"),
    (lambda: kernels.decode_typed(np.zeros((4, 4), "<u2")[:, ::2]), ValueError, "C-contiguous"),
    (lambda: kernels.decode_typed(b"\0" * 4, "<u2", scale=2.0, out_dtype=np.uint16),
     ValueError, "needs scale=1"),
    (lambda: kernels.decode_typed(b"\0" * 4, "<u2", offset=1.0, out_dtype=np.uint16),
     TypeError, "no exact uint16 form"),
    (lambda: kernels.decode_typed(b"\0" * 4, "<u2", out_dtype=np.int32), TypeError,
     "no exact int32 form"),
    (lambda: kernels.decode_typed(b"\0" * 4, "<f4", out_dtype=np.float16), TypeError,
     "no exact float16 form"),
    (lambda: kernels.decode_typed(b"\0" * 4, "<u2", out_dtype=np.complex64), TypeError,
     "out_dtype must be"),
    (lambda: kernels.decode_typed(b"\0" * 4, "<u2", out=np.empty(3, np.float32)), ValueError,
     "3 elements, 2 expected"),
    (lambda: kernels.decode_typed(b"\0" * 4, "<u2", out=np.empty(2, ">f4")), TypeError,
     "dtype >f4"),
    (lambda: kernels.decode_typed(b"\0" * 4, "<u2", threads=0), ValueError, "threads"),
    (lambda: _core.decode_f32(np.zeros(4, np.uint8), np.empty(3, np.float32), "<u2"),
     ValueError, "decode input bytes: buffer holds 4 elements, 6 expected"),
    (lambda: _core.load_xor(np.zeros(4, np.uint8), np.empty(4, np.uint8), "<c4", 0),
     ValueError, "not one the decode kernels read"),
    (lambda: _core.encode_f32(np.zeros(1, np.float32), np.empty(1, np.uint8), 12, 1.0, 0.0),
     ValueError, r"unsupported BITPIX .*\(RAMPS_EBITPIX\)"),
    (lambda: _core.encode_f32(np.float32([np.nan]), np.empty(2, np.uint8), 16, 1.0, 0.0),
     OverflowError, r"encode float32 as BITPIX=16: .*NaN.*\(RAMPS_ERANGE\)"),
]


@pytest.mark.parametrize("call,exc,match", BAD_CALLS)
def test_bad_arguments_are_clear(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_flags_match_stdatamodels():
    """Our flag values (and those compiled into csrc/dq.c) are stdatamodels' jwst dqflags."""
    import stdatamodels.jwst.datamodels.dqflags as dqflags
    from ramps.kernels import flags

    for name in ("DO_NOT_USE", "SATURATED", "JUMP_DET", "DROPOUT", "OUTLIER", "PERSISTENCE",
                 "AD_FLOOR", "CHARGELOSS", "RESERVED", "NON_SCIENCE"):
        assert getattr(flags, name) == dqflags.pixel[name], name
    assert ref.DNU == flags.DO_NOT_USE and ref.SAT == flags.SATURATED
    assert ref.JUMP == flags.JUMP_DET and ref.PERSIST == flags.PERSISTENCE


@pytest.mark.parametrize("dtype", list(kernels.FITS_ENCODING))
def test_fits_encoding_matches_astropy(dtype):
    """The one FITS type table: (BITPIX, BZERO) for each dtype is what astropy writes
    for it (uint16 -> 16 with BZERO 32768, int8 -> 8 with BZERO -128 ...), byte order
    ignored; and INTEGER_OFFSETS, derived from it, maps the offset pairs back."""
    import io

    from astropy.io import fits

    bio = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros(3, dtype))]).writeto(bio)
    bio.seek(0)
    with fits.open(bio, do_not_scale_image_data=True) as hdul:
        header = hdul[1].header
        expected = (header["BITPIX"], header.get("BZERO", 0))
    assert kernels.fits_dtype(dtype) == expected
    assert kernels.fits_dtype(dtype.newbyteorder(">")) == expected
    if expected[1]:
        assert kernels.INTEGER_OFFSETS[(expected[0], float(expected[1]))] == dtype


def test_fits_dtype_refuses_other_types():
    with pytest.raises(TypeError, match="cannot store complex64"):
        kernels.fits_dtype(np.complex64)
