"""The C LZ4 codec (csrc/lz4.c) against python-lz4, the independent reference,
and against hostile input: every malformed block gives a typed error."""

import struct

import numpy as np
import pytest

from ramps import _core

import lz4.block as lz4block


def compress(data: bytes) -> bytes:
    src = np.frombuffer(data, np.uint8)
    out = np.empty(_core.lz4_bound(len(data)), np.uint8)
    return out[:_core.lz4_compress(src, out)].tobytes()


def decompress(block: bytes, size: int) -> bytes:
    out = np.empty(size, np.uint8)
    return out[:_core.lz4_decompress(np.frombuffer(block, np.uint8), out)].tobytes()


def samples():
    rng = np.random.default_rng(7)
    yield b""
    yield b"x"
    yield bytes(12)
    yield bytes(13)
    yield bytes(100_000)
    yield b"abcdefgh" * 5000
    yield rng.integers(0, 256, 70_000, dtype=np.uint8).tobytes()  # incompressible
    yield rng.normal(20000, 40, 300_000).astype("<u2").tobytes()  # detector-like counts
    yield (np.arange(200_000) % 251).astype(np.uint8).tobytes()
    for _ in range(150):
        n, k = int(rng.integers(0, 3000)), int(rng.integers(1, 256))
        yield rng.integers(0, k, n, dtype=np.uint8).tobytes()


@pytest.mark.parametrize("data", list(samples()), ids=lambda d: f"n{len(d)}")
def test_parity_both_ways(data):
    """python-lz4 decodes what we encode, and we decode what python-lz4 encodes
    (default and high-compression modes), byte for byte."""
    mine = compress(data)
    assert lz4block.decompress(mine, uncompressed_size=len(data)) == data
    for mode in ("default", "high_compression"):
        ref = lz4block.compress(data, mode=mode, store_size=False)
        assert decompress(ref, len(data)) == data


def test_compressible_data_shrinks():
    """Repetitive data compresses: 100 kB of zeros needs under 1 kB (a match can
    be at most ~255x its encoding), random bytes stay within the bound."""
    assert len(compress(bytes(100_000))) < 1000
    rnd = np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes()
    assert len(rnd) < len(compress(rnd)) <= _core.lz4_bound(len(rnd))


def hand_block_overlap():
    """Hand-built block: literals 'ab', then a match of offset 2, length 6
    (token 0x22: 2 literals, match code 2 = length 6), then 8 final literals
    (token 0x80; the format wants the last match to start 12 bytes or more
    before the end).  Decodes to 'ab' + 'ababab' + '12345678'."""
    return bytes([0x22]) + b"ab" + struct.pack("<H", 2) + bytes([0x80]) + b"12345678"


def test_hand_built_overlapping_match():
    assert decompress(hand_block_overlap(), 16) == b"abababab12345678"
    assert lz4block.decompress(hand_block_overlap(), uncompressed_size=16) == \
        b"abababab12345678"


@pytest.mark.parametrize("block,problem", [
    (b"", _core.LZ4_TRUNCATED),                                  # nothing at all
    (bytes([0x50]) + b"abc", _core.LZ4_TRUNCATED),               # 5 literals, 3 given
    (bytes([0xF0]), _core.LZ4_TRUNCATED),                        # length byte missing
    (bytes([0x10]) + b"a" + b"\x01", _core.LZ4_TRUNCATED),       # half an offset
    (bytes([0x10]) + b"a" + struct.pack("<H", 2) + bytes([0x10]) + b"z",
     _core.LZ4_BAD_OFFSET),                                      # offset 2 > 1 byte out
    (bytes([0x10]) + b"a" + struct.pack("<H", 0) + bytes([0x10]) + b"z",
     _core.LZ4_BAD_OFFSET),                                      # offset 0
    (bytes([0x00]) + struct.pack("<H", 1), _core.LZ4_BAD_OFFSET),  # match before any output
    (bytes([0x22]) + b"ab" + struct.pack("<H", 2), _core.LZ4_TRUNCATED),  # ends after a match
])
def test_hostile_blocks(block, problem):
    with pytest.raises(_core.Lz4Error) as e:
        decompress(block, 64)
    assert e.value.problem == problem


def test_output_too_small_is_too_long():
    """A block that decodes to 16 bytes does not fit 8: TOO_LONG, nothing written past."""
    out = np.full(16, 0xEE, np.uint8)
    with pytest.raises(_core.Lz4Error) as e:
        _core.lz4_decompress(np.frombuffer(hand_block_overlap(), np.uint8), out[:8])
    assert e.value.problem == _core.LZ4_TOO_LONG
    assert (out[8:] == 0xEE).all()


def test_random_garbage_never_crashes():
    """Mutated and random blocks either decode within the buffer or raise Lz4Error."""
    rng = np.random.default_rng(3)
    good = lz4block.compress(rng.normal(100, 3, 4000).astype("<u2").tobytes(),
                             store_size=False)
    for i in range(3000):
        b = bytearray(good if i % 2 else rng.integers(0, 256, 200, dtype=np.uint8).tobytes())
        for _ in range(int(rng.integers(1, 6))):
            b[int(rng.integers(0, len(b)))] = int(rng.integers(0, 256))
        if i % 7 == 0:
            b = b[:int(rng.integers(0, len(b)))]
        out = np.empty(8000, np.uint8)
        try:
            n = _core.lz4_decompress(np.frombuffer(bytes(b), np.uint8), out)
            assert 0 <= n <= out.size
        except _core.Lz4Error as e:
            assert e.problem in (1, 2, 3, 4)


def asdf_chunks(data: bytes, chunk: int) -> bytes:
    """asdf's own framing: per chunk a big-endian size, then python-lz4 with its size."""
    out = b""
    for i in range(0, len(data), chunk):
        c = lz4block.compress(data[i:i + chunk])
        out += struct.pack(">I", len(c)) + c
    return out


def decode_chunks(blob: bytes, size: int, convert=0, out_dtype=np.uint8, threads=0):
    src = np.frombuffer(blob, np.uint8)
    so, sl, ro, rl = _core.lz4_scan_chunks(src)
    out = np.empty(size if convert == 0 else size // 2, out_dtype)
    _core.lz4_decode_chunks(src, so, sl, ro, rl, 0, out.view(np.uint8), convert, threads)
    return out


@pytest.mark.parametrize("threads", [1, 2])
def test_chunks_parity_and_u16_to_f32(threads):
    """Chunks as asdf writes them decode to the data, and to float32 in one pass."""
    vals = np.random.default_rng(5).normal(20000, 30, 250_000).astype("<u2")
    blob = asdf_chunks(vals.tobytes(), 65536)
    assert decode_chunks(blob, vals.nbytes, threads=threads).tobytes() == vals.tobytes()
    f = decode_chunks(blob, vals.nbytes, _core.LZ4_U16_F32, np.float32, threads)
    np.testing.assert_array_equal(f, vals.astype(np.float32))
    sw = asdf_chunks(vals.astype(">u2").tobytes(), 65536)
    f = decode_chunks(sw, vals.nbytes, _core.LZ4_U16SWAP_F32, np.float32, threads)
    np.testing.assert_array_equal(f, vals.astype(np.float32))


def test_compress_chunks_matches_asdf_framing():
    """Our parallel chunk writer's output is read back by python-lz4 chunk by chunk."""
    data = np.random.default_rng(2).normal(500, 9, 300_000).astype("<u2").tobytes()
    chunk = 100_000
    k = -(-len(data) // chunk)
    stride = 8 + _core.lz4_bound(chunk)
    dst = np.empty(k * stride, np.uint8)
    lens = np.empty(k, np.uint32)
    _core.lz4_compress_chunks(np.frombuffer(data, np.uint8), chunk, dst, stride, lens)
    back = b""
    for c in range(k):
        piece = dst[c * stride:c * stride + lens[c]].tobytes()
        (size,) = struct.unpack(">I", piece[:4])
        assert size == len(piece) - 4
        back += lz4block.decompress(piece[4:])
    assert back == data


@pytest.mark.parametrize("mutate,problem", [
    (lambda b: b[:-3], _core.LZ4_TRUNCATED),                        # last chunk cut short
    (lambda b: b + b"\x00\x00", _core.LZ4_TRUNCATED),               # half a chunk header
    (lambda b: b"\x00\x00\x00\x02" + b[4:], _core.LZ4_BAD_CHUNK),    # size field < 4
    (lambda b: b"\xff\xff\xff\xf0" + b[4:], _core.LZ4_TRUNCATED),    # size beyond the data
])
def test_hostile_chunk_headers(mutate, problem):
    blob = asdf_chunks(bytes(range(256)) * 100, 4096)
    with pytest.raises(_core.Lz4Error) as e:
        _core.lz4_scan_chunks(np.frombuffer(mutate(blob), np.uint8))
    assert e.value.problem == problem


def test_chunk_declaring_wrong_size():
    """A chunk whose little-endian size field lies: decoding says which chunk."""
    data = bytes(range(256)) * 64
    blob = bytearray(asdf_chunks(data, 4096))
    second = 4 + struct.unpack(">I", bytes(blob[:4]))[0]  # header of chunk 1
    blob[second + 4:second + 8] = struct.pack("<I", 4000)  # really 4096
    with pytest.raises(_core.Lz4Error) as e:
        decode_chunks(bytes(blob), len(data) - 96)
    assert e.value.chunk == 1 and e.value.problem == _core.LZ4_TOO_LONG
    blob[second + 4:second + 8] = struct.pack("<I", 5000)
    with pytest.raises(_core.Lz4Error) as e:
        decode_chunks(bytes(blob), len(data) + 904)
    assert e.value.chunk == 1 and e.value.problem == _core.LZ4_TOO_SHORT


def test_chunks_outside_the_output_are_refused():
    blob = asdf_chunks(bytes(1000), 400)
    src = np.frombuffer(blob, np.uint8)
    so, sl, ro, rl = _core.lz4_scan_chunks(src)
    with pytest.raises(ValueError):
        _core.lz4_decode_chunks(src, so, sl, ro, rl, 0, np.empty(999, np.uint8))
