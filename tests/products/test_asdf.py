"""ramps.open on ASDF files: Roman products written by roman_datamodels (levels
1-4, every compression) give the arrays, tables and metadata roman_datamodels
and asdf give; partial and converted reads; typed errors for corrupt files."""

import io
import struct
import warnings

import asdf
import numpy as np
import pytest

import ramps
from ramps.products.asdf import AsdfProduct
from ramps.errors import ClosedError, FormatError, TruncatedFileError

import roman_datamodels.datamodels as rdm

from roman_fixtures import KINDS  # noqa: E402
COMPRESSIONS = ["lz4", "zlib", "bzp2", None]


def rdm_open(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rdm.open(str(path))


def plain_leaves(mine, ref) -> int:
    """Compare every plain (untagged str/number/bool) leaf of our meta with the
    same attribute of roman_datamodels' meta; returns how many were compared."""
    n = 0
    for key, value in mine.items():
        other = ref[key]
        if isinstance(value, dict) and not hasattr(value, "_tag"):
            n += plain_leaves(value, other)
        elif type(value) in (str, int, float, bool):
            assert value == other, key
            n += 1
    return n


@pytest.mark.parametrize("model,kind,level", KINDS)
def test_every_level_matches_roman_datamodels(roman_file, model, kind, level):
    path, arrays = roman_file(model)
    ref = rdm_open(path)
    with ramps.open(path) as p:
        assert isinstance(p, AsdfProduct)
        assert (p.kind, p.model, p.level) == (kind, model, level)
        assert p.validate() == []
        for name, value in arrays.items():
            if name == "source_catalog":
                t = p[name]
                assert t.colnames == list(ref.source_catalog.colnames)
                for col in t.colnames:
                    np.testing.assert_array_equal(t[col], np.asarray(ref.source_catalog[col]))
                    assert t[col].dtype == ref.source_catalog[col].dtype
                continue
            got = p[name]
            np.testing.assert_array_equal(got, np.asarray(ref[name]))
            assert got.dtype == ref[name].dtype and got.shape == ref[name].shape
        assert p.meta["model_type"] == ref.meta.model_type
        assert plain_leaves(p.meta, ref.meta) > 10
        assert {e.name for e in p.extensions if e.type == "IMAGE"} >= \
            {k for k in arrays if k != "source_catalog"}


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("model", ["ScienceRawModel", "ImageModel"])
def test_every_compression(roman_file, model, compression):
    path, arrays = roman_file(model, compression)
    with asdf.open(path) as af:
        assert af.get_array_compression(af["roman"]["data"]) == compression
        ref = {k: np.asarray(af["roman"][k]) for k in arrays}
    with ramps.open(path) as p:
        for name in arrays:
            np.testing.assert_array_equal(p.read(name), ref[name])
            assert p.read(name).dtype == ref[name].dtype
        f = p.read("data", dtype="float32")
        np.testing.assert_array_equal(f, ref["data"].astype(np.float32))
        np.testing.assert_array_equal(p.sci[1], ref["data"][1].astype(np.float32))
        np.testing.assert_array_equal(p.sci[-1], ref["data"][-1].astype(np.float32))
        np.testing.assert_array_equal(p.sci[1:3], ref["data"][1:3].astype(np.float32))


@pytest.mark.parametrize("threads", [1, 2, None])
def test_level1_to_float32_into_out(roman_file, threads):
    path, arrays = roman_file("ScienceRawModel")
    want = arrays["data"].astype(np.float32)
    out = np.full(want.shape, np.nan, np.float32)
    with ramps.open(path) as p:
        got = p.read("data", dtype="float32", out=out, threads=threads)
        assert got is out
        np.testing.assert_array_equal(out, want)
        raw = p.read("data", dtype="float32", raw=True)
        assert raw.dtype == np.uint16 and np.array_equal(raw, arrays["data"])
        with pytest.raises(ValueError):
            p.read("data", dtype="float32", out=np.empty(5, np.float32))
        with pytest.raises(TypeError):
            p.read("data", dtype="float32", out=np.empty(want.shape, np.float64))


def multichunk_file(tmp_path, data, chunk, compression="lz4", name="mc.asdf"):
    """asdf itself writes lz4 with a small compression_block_size: many chunks."""
    af = asdf.AsdfFile({"roman": {"data": data}})
    kw = {"compression_block_size": chunk} if compression == "lz4" else {}
    af.set_array_compression(data, compression, **kw)
    path = tmp_path / name
    af.write_to(path)
    return path


@pytest.mark.parametrize("chunk", [4096, 5000, 6000])
def test_many_chunks_partial_reads(tmp_path, chunk):
    """Planes across chunk boundaries (5000 bytes is not a multiple of a plane,
    6000 not even of ... well, it is of 2: every chunk holds whole uint16)."""
    data = np.random.default_rng(1).normal(3000, 20, (7, 33, 41)).astype(np.uint16)
    path = multichunk_file(tmp_path, data, chunk)
    with ramps.open(path) as p:
        assert p.kind == "generic"
        np.testing.assert_array_equal(p.read("data"), data)
        np.testing.assert_array_equal(p.read("data", dtype=np.float64), data)
        for i in range(7):
            np.testing.assert_array_equal(p.sci[i], data[i].astype(np.float32))
        np.testing.assert_array_equal(p.lazy("data", np.int32)[2:6, 3], data[2:6, 3])
        np.testing.assert_array_equal(np.asarray(p.sci), data.astype(np.float32))


def test_big_endian_and_float16(tmp_path):
    be = np.random.default_rng(2).integers(0, 60000, (3, 20, 20)).astype(">u2")
    f16 = np.random.default_rng(3).gamma(2, 1, (20, 20)).astype(np.float16)
    af = asdf.AsdfFile({"be": be, "err": f16})
    af.set_array_compression(be, "lz4", compression_block_size=300)
    af.set_array_compression(f16, "lz4")
    path = tmp_path / "be.asdf"
    af.write_to(path)
    with ramps.open(path) as p:
        np.testing.assert_array_equal(p.read("be", dtype="float32"), be.astype(np.float32))
        assert p.read("be").dtype == np.dtype("=u2")
        np.testing.assert_array_equal(p["be"], be)
        np.testing.assert_array_equal(p.read("err", dtype="float32"), f16.astype(np.float32))


def test_uncompressed_is_a_read_only_view(roman_file):
    path, arrays = roman_file("ImageModel", None)
    with ramps.open(path) as p:
        view = p["data"]
        assert not view.flags.writeable and np.shares_memory(view, p.source.view(0, p.source.size))
        np.testing.assert_array_equal(view, arrays["data"])
        np.testing.assert_array_equal(p["var_poisson"], arrays["var_poisson"])
    np.testing.assert_array_equal(view, arrays["data"])  # valid after close


def test_reference_file_is_generic(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = rdm.FlatRefModel.create_fake_data(shape=(30, 30))
        m.data = np.random.default_rng(4).normal(1, 0.01, (30, 30)).astype(np.float32)
        m.save(str(tmp_path / "flat.asdf"))
    with ramps.open(tmp_path / "flat.asdf") as p:
        assert p.kind == "generic" and p.spec is None and p.validate() == []
        assert "reference_files/flat" in p.tag
        np.testing.assert_array_equal(p["data"], m.data)


def test_file_object_and_closed(roman_file):
    path, arrays = roman_file("ScienceRawModel")
    p = ramps.open(io.BytesIO(open(path, "rb").read()))
    np.testing.assert_array_equal(p.read("amp33"), arrays["amp33"])
    p.close()
    with pytest.raises(ClosedError):
        p.read("data")


def test_names_and_errors(roman_file):
    path, _ = roman_file("RampModel")
    with ramps.open(path) as p:
        assert "groupdq" in p and "nope" not in p
        with pytest.raises(KeyError, match="groupdq"):
            p.read("nope")
        assert p["meta/exposure/type"] == p.meta["exposure"]["type"]
        np.testing.assert_array_equal(p["roman/groupdq"], p["groupdq"])


def test_validate_reports_wrong_dtype_and_missing(tmp_path, roman_file):
    """A level 1 file edited by hand: data's datatype uint16 -> int16 (same size)
    and the key amp33 renamed amp34 (so the required amp33 is missing)."""
    path, _ = roman_file("ScienceRawModel", None)
    raw = open(path, "rb").read()
    head, sep, rest = raw.partition(b"  data: !core/ndarray-1.1.0")
    rest = rest.replace(b"datatype: uint16", b"datatype:  int16", 1)
    edited = (head + sep + rest).replace(b"\n  amp33: !core", b"\n  amp34: !core", 1)
    (tmp_path / "bad.asdf").write_bytes(edited)
    with ramps.open(tmp_path / "bad.asdf") as p:
        problems = p.validate()
        assert any("[data]: dtype int16, expected uint16" in str(s) for s in problems.errors)
        assert any("[amp33]: required array missing" in str(s) for s in problems.errors)
        with pytest.raises(FormatError):
            p.validate(strict=True)


def lz4_chunk_sizes(tmp_path, data):
    path = multichunk_file(tmp_path, data, 4000, name="lie.asdf")
    raw = bytearray(open(path, "rb").read())
    with ramps.open(path) as p:
        blk = p.index.blocks[0]
    return path, raw, blk.data_offset


def test_lz4_chunk_decoding_to_the_wrong_size(tmp_path):
    """Chunk 0 claims 3904 bytes and chunk 1 4096 (really 4000 each): totals
    agree with the block header, but chunk 0 decodes to more than it says."""
    data = np.arange(6000, dtype=np.uint16).reshape(60, 100)
    path, raw, at = lz4_chunk_sizes(tmp_path, data)
    size0 = struct.unpack(">I", bytes(raw[at:at + 4]))[0]
    raw[at + 4:at + 8] = struct.pack("<I", 3904)
    nxt = at + 4 + size0
    raw[nxt + 4:nxt + 8] = struct.pack("<I", 4096)
    bad = tmp_path / "bad_chunk.asdf"
    bad.write_bytes(bytes(raw))
    with ramps.open(bad) as p:
        with pytest.raises(FormatError) as e:
            p.read("data")
    assert e.value.extension == "data" and "bad_chunk.asdf" in str(e.value)
    assert "more bytes than its declared size" in str(e.value)


def test_lz4_total_disagreeing_with_header_and_corrupt_zlib(tmp_path):
    data = np.arange(6000, dtype=np.uint16)
    path, raw, at = lz4_chunk_sizes(tmp_path, data)
    raw[at + 4:at + 8] = struct.pack("<I", 100)
    bad = tmp_path / "bad_total.asdf"
    bad.write_bytes(bytes(raw))
    with ramps.open(bad) as p, pytest.raises(FormatError, match="block header says"):
        p.read("data")
    zpath = multichunk_file(tmp_path, data, 4000, "zlib", "z.asdf")
    zraw = bytearray(open(zpath, "rb").read())
    with ramps.open(zpath) as p:
        blk = p.index.blocks[0]
    zraw[blk.data_offset + 20:blk.data_offset + 40] = bytes(20)
    (tmp_path / "zbad.asdf").write_bytes(bytes(zraw))
    with ramps.open(tmp_path / "zbad.asdf") as p, pytest.raises(FormatError) as e:
        p.read("data")
    assert e.value.extension == "data"


def test_truncated_roman_file(tmp_path, roman_file):
    path, _ = roman_file("ImageModel")
    raw = open(path, "rb").read()
    cut = tmp_path / "cut.asdf"
    cut.write_bytes(raw[:len(raw) - 2000])
    with pytest.raises(TruncatedFileError) as e:
        ramps.open(cut)
    assert "cut.asdf" in str(e.value) and e.value.extension


def test_bad_chunk_is_named_beyond_the_first_batch(tmp_path, monkeypatch):
    """20 chunks of 4000 bytes decode in batches (here of 2-3 chunks: a 12 KB
    window); chunk 10 claiming 3904 bytes (and chunk 11 4096, so totals agree)
    is reported as chunk 10."""
    from ramps.asdf import codecs

    monkeypatch.setattr(codecs, "_WINDOW", 12_000)
    data = np.arange(40000, dtype=np.uint16)
    path, raw, at = lz4_chunk_sizes(tmp_path, data)
    pos = at
    for k in range(12):
        size = struct.unpack(">I", bytes(raw[pos:pos + 4]))[0]
        if k in (10, 11):
            raw[pos + 4:pos + 8] = struct.pack("<I", 3904 if k == 10 else 4096)
        pos += 4 + size
    bad = tmp_path / "bad10.asdf"
    bad.write_bytes(bytes(raw))
    with ramps.open(bad) as p:
        with pytest.raises(FormatError, match="lz4 chunk 10:"):
            p.read("data")
        with pytest.raises(FormatError, match="lz4 chunk 10:"):
            p.read("data", dtype="float32")
        np.testing.assert_array_equal(p.lazy("data", np.uint16)[:4000], data[:4000])


def test_checksums_verified_on_request(tmp_path, roman_file):
    """roman_datamodels (asdf) stores each block's MD5: ramps.open(checksum=True)
    checks them; one flipped byte in amp33's block is named."""
    from ramps.errors import ChecksumError

    path, _ = roman_file("ScienceRawModel")
    with ramps.open(path, checksum=True) as p:
        assert [ok for _, ok in p.verify_checksums()] == [True, True]
        blk = p.index.block_of(p.info("amp33"))
    raw = bytearray(open(path, "rb").read())
    raw[blk.data_offset + blk.used_size // 2] ^= 0xFF
    bad = tmp_path / "flipped.asdf"
    bad.write_bytes(bytes(raw))
    with pytest.raises(ChecksumError) as e:
        ramps.open(bad, checksum=True)
    assert e.value.extension == "amp33" and len(e.value.failures) == 1
    with ramps.open(bad) as p:  # without checking, it opens
        assert p.kind == "wfi_science_raw"
