"""ramps.write of Roman products: roman_datamodels opens and validates them, with
equal arrays and metadata; every compression; asdf and python-lz4 read our
blocks; streaming, casting, atomic publishing and refusals."""

import hashlib
import os
import warnings
from pathlib import Path

import asdf
import numpy as np
import pytest

import ramps
from ramps.asdf.write import write_asdf

import roman_datamodels.datamodels as rdm

MODELS = ["ScienceRawModel", "RampModel", "ImageModel", "MosaicModel", "SegmentationMapModel",
          "MosaicSegmentationMapModel", "ImageSourceCatalogModel", "MosaicSourceCatalogModel"]


def rdm_open(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rdm.open(str(path))


def contents(path):
    """arrays, tables and meta of a file, as ramps reads them."""
    with ramps.open(path) as p:
        arrays = {n: p.read(n) for n in p.names if "/" not in n}
        arrays.update({t: p[t] for t in p.tables})
        return p.kind, arrays, p.meta


def assert_same(model, arrays):
    for name, want in arrays.items():
        if name == "source_catalog":
            got = model.source_catalog
            assert got.colnames == want.colnames
            for c in want.colnames:
                np.testing.assert_array_equal(np.asarray(got[c]), np.asarray(want[c]))
                assert got[c].dtype == want[c].dtype and got[c].unit == want[c].unit
        else:
            got = np.asarray(model[name])
            np.testing.assert_array_equal(got, want)
            assert got.dtype == want.dtype


@pytest.mark.parametrize("model", MODELS)
def test_roundtrip_through_roman_datamodels(tmp_path, roman_file, model):
    """roman_datamodels file -> ramps read -> ramps.write -> roman_datamodels.open:
    validates, same model class, equal arrays, equal metadata (its own tree)."""
    src, _ = roman_file(model)
    kind, arrays, meta = contents(src)
    out = ramps.write(tmp_path / "out.asdf", kind, arrays, meta=meta)
    ref, mine = rdm_open(src), rdm_open(out)
    assert type(mine).__name__ == model
    mine.validate()
    assert_same(mine, arrays)
    ref_meta, my_meta = ref.meta.to_flat_dict(), mine.meta.to_flat_dict()
    assert my_meta.pop("filename") == "out.asdf"
    ref_meta.pop("filename")
    if "wcs" in ref_meta:  # gwcs objects compare by identity: compare what they compute
        mine_wcs, ref_wcs = my_meta.pop("wcs"), ref_meta.pop("wcs")
        np.testing.assert_array_equal(mine_wcs(10.5, 20.0), ref_wcs(10.5, 20.0))
    assert my_meta == ref_meta
    assert mine.meta.filename == "out.asdf"


@pytest.mark.parametrize("compression", [None, "lz4", "zlib", "bzp2"])
def test_every_compression_read_by_asdf(tmp_path, roman_file, compression):
    src, _ = roman_file("ImageModel")
    kind, arrays, meta = contents(src)
    out = ramps.write(tmp_path / "img.asdf", kind, arrays, meta=meta, compression=compression)
    with asdf.open(out, validate_checksums=True) as af:
        for name, want in arrays.items():
            assert af.get_array_compression(af["roman"][name]) == compression
            np.testing.assert_array_equal(af["roman"][name], want)
    with ramps.open(out) as p:  # and back through ramps
        for name, want in arrays.items():
            np.testing.assert_array_equal(p.read(name), want)


def test_many_lz4_chunks_any_thread_count(tmp_path, roman_file):
    """A 4.9 MB level 1 cube spans two 4 MiB lz4 chunks; the file is the same
    byte for byte with 1 or 2 threads, and asdf (python-lz4) reads it back."""
    src, _ = roman_file("ScienceRawModel")
    _, arrays, meta = contents(src)
    rng = np.random.default_rng(9)
    data = rng.normal(20000, 40, (3, 1024, 800)).astype(np.uint16)
    amp33 = rng.normal(500, 4, (3, 1024, 128)).astype(np.uint16)
    paths = []
    for threads in (1, 2):
        (tmp_path / str(threads)).mkdir()
        paths.append(write_asdf(tmp_path / str(threads) / "l1.asdf", "wfi_science_raw",
                                {"data": data, "amp33": amp33}, meta=meta, threads=threads,
                                overwrite=True))
    assert paths[0].read_bytes() == paths[1].read_bytes()
    with asdf.open(paths[0], validate_checksums=True) as af:
        np.testing.assert_array_equal(af["roman"]["data"], data)
    with ramps.open(paths[0]) as p:
        so = p.index.blocks[0]
        assert so.data_size == data.nbytes and so.data_size > 1 << 22  # two chunks
        np.testing.assert_array_equal(p.read("data", dtype="float32"), data.astype(np.float32))
        np.testing.assert_array_equal(p.sci[2], data[2].astype(np.float32))


def test_casts_views_and_big_endian_inputs(tmp_path, roman_file):
    """err given as float64 is stored float16 (same kind: a cast); a transposed
    (non-contiguous) and a big-endian input are written as their values."""
    src, _ = roman_file("ImageModel")
    kind, arrays, meta = contents(src)
    arrays["err"] = arrays["err"].astype(np.float64)
    arrays["data"] = np.ascontiguousarray(arrays["data"].T).T  # F-ordered view
    arrays["dq"] = arrays["dq"].astype(">u4")
    out = ramps.write(tmp_path / "cast.asdf", kind, arrays, meta=meta)
    m = rdm_open(out)
    m.validate()
    assert m.err.dtype == np.float16
    np.testing.assert_array_equal(m.err, arrays["err"].astype(np.float16))
    np.testing.assert_array_equal(m.data, arrays["data"])
    np.testing.assert_array_equal(m.dq, arrays["dq"])


def test_refusals_leave_nothing_behind(tmp_path, roman_file):
    src, _ = roman_file("ScienceRawModel")
    kind, arrays, meta = contents(src)
    target = tmp_path / "x.asdf"
    with pytest.raises(TypeError, match="cannot be stored as uint16"):
        ramps.write(target, kind, {**arrays, "data": arrays["data"].astype(np.float32)},
                    meta=meta)
    with pytest.raises(ValueError, match="amp33"):
        ramps.write(target, kind, {"data": arrays["data"]}, meta=meta)
    with pytest.raises(KeyError, match="nope"):
        ramps.write(target, kind, {**arrays, "nope": arrays["data"]}, meta=meta)
    with pytest.raises(ValueError, match="dimensions"):
        ramps.write(target, kind, {**arrays, "data": arrays["data"][0]}, meta=meta)
    with pytest.raises(ValueError, match="meta is required"):
        ramps.write(target, kind, arrays)
    with pytest.raises(ValueError, match="compression"):
        ramps.write(target, kind, arrays, meta=meta, compression="zstd")
    assert os.listdir(tmp_path) == []


def test_atomic_publishing(tmp_path, roman_file):
    src, _ = roman_file("SegmentationMapModel")
    kind, arrays, meta = contents(src)
    target = tmp_path / "segm.asdf"
    target.write_bytes(b"old")
    with pytest.raises(FileExistsError):
        ramps.write(target, kind, arrays, meta=meta)
    assert target.read_bytes() == b"old"
    ramps.write(target, kind, arrays, meta=meta, overwrite=True)
    m = rdm_open(target)
    np.testing.assert_array_equal(m.data, arrays["data"])
    assert sorted(os.listdir(tmp_path)) == ["segm.asdf"]
    mask = os.umask(0o022)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's 0o600


def test_meta_with_astropy_objects(tmp_path, roman_file):
    """A meta holding an astropy Time (not a tagged tree) goes through asdf's
    converters; roman_datamodels reads the same instant back."""
    from astropy.time import Time

    src, _ = roman_file("SegmentationMapModel")
    kind, arrays, meta = contents(src)
    meta = dict(meta)
    meta["file_date"] = Time("2027-05-01T12:00:00", format="isot", scale="utc")
    out = ramps.write(tmp_path / "t.asdf", kind, arrays, meta=meta)
    m = rdm_open(out)
    m.validate()
    assert m.meta.file_date == meta["file_date"]


def test_checksums_on_and_off(tmp_path, roman_file):
    """Block MD5s are what asdf checks; checksum=False leaves zeros (none)."""
    src, _ = roman_file("SegmentationMapModel")
    kind, arrays, meta = contents(src)
    on = ramps.write(tmp_path / "on.asdf", kind, arrays, meta=meta)
    off = ramps.write(tmp_path / "off.asdf", kind, arrays, meta=meta, checksum=False)
    with ramps.open(on) as p:
        blk = p.index.blocks[0]
        assert blk.checksum == hashlib.md5(p.source.read(blk.data_offset,
                                                         blk.used_size)).digest()
    with ramps.open(off) as p:
        assert p.index.blocks[0].checksum == bytes(16)
    with asdf.open(on, validate_checksums=True) as af:
        np.testing.assert_array_equal(af["roman"]["data"], arrays["data"])


def test_generic_asdf_file(tmp_path):
    a = np.arange(12, dtype=np.int32).reshape(3, 4)
    b = np.linspace(0, 1, 7)
    out = ramps.write(tmp_path / "g.asdf", "generic", {"a": a, "b": b},
                      tree={"note": "hand", "n": 3}, compression="zlib")
    with asdf.open(out) as af:
        np.testing.assert_array_equal(af["a"], a)
        np.testing.assert_array_equal(af["b"], b)
        assert af["note"] == "hand" and af["n"] == 3


def test_generic_nested_arrays_and_big_endian_records(tmp_path):
    """Arrays anywhere in ``tree`` become blocks; a big-endian record array (as
    FITS tables are) is stored little-endian with matching field byte orders."""
    rec = np.array([(1, 2.5, b"ab"), (3, -1.0, b"cd")],
                   dtype=[("n", ">i4"), ("x", ">f8"), ("s", "S2")])
    cube = np.arange(24, dtype=">u2").reshape(2, 3, 4)
    out = ramps.write(tmp_path / "n.asdf", "generic", {},
                      tree={"slits": [{"data": cube, "name": "s1"}], "table": rec})
    with asdf.open(out) as af:
        np.testing.assert_array_equal(af["slits"][0]["data"], cube)
        assert af["slits"][0]["name"] == "s1"
        got = af["table"]
        assert got.dtype.names == ("n", "x", "s") and got.tolist() == rec.tolist()
    with ramps.open(out) as p:
        np.testing.assert_array_equal(p.read("slits/0/data"), cube)
        assert p.read("table").tolist() == rec.tolist()


def test_write_dispatch_keeps_fits(tmp_path):
    """A JWST kind with a .fits target still goes to the FITS writer."""
    sci = np.zeros((4, 5), np.float32)
    out = ramps.write(tmp_path / "x_rate.fits", "rate", {"SCI": sci, "ERR": sci,
                      "DQ": np.zeros((4, 5), np.uint32), "VAR_POISSON": sci,
                      "VAR_RNOISE": sci})
    with ramps.open(out) as p:
        assert p.kind == "rate"


def test_no_file_an_older_roman_datamodels_cannot_open(tmp_path, monkeypatch):
    """With roman_datamodels 1.1 installed (romancal 1.1 pins it), the rad 1.2 tags ramps
    writes would not open there: a FormatError, and no file (issue 20, 7)."""
    from importlib import metadata

    from ramps.asdf import write as asdf_write

    real = metadata.version
    monkeypatch.setattr(asdf_write.metadata, "version",
                        lambda name: "1.1.0" if name == "roman_datamodels" else real(name))
    target = tmp_path / "r_cal.asdf"
    with pytest.raises(ramps.FormatError, match="installed roman_datamodels 1.1.0"):
        ramps.write(target, "wfi_image", {"data": np.zeros((4, 4), np.float32)}, meta={})
    assert not target.exists()


def test_lz4_blocks_are_no_bigger_than_asdfs(tmp_path):
    """Issue 22, 2: each lz4 block ramps writes is the size of asdf's own block for the
    same array (python-lz4 chunk for chunk, as asdf compresses): detector-like float32
    (our former encoder wrote 1.54x asdf's on such data), uint16 counts, sparse uint8 DQ,
    and an odd itemsize whose chunks asdf cuts at whole elements."""
    import asdf

    rng = np.random.default_rng(3)
    arrays = {"f32": rng.normal(100, 5, (5, 300, 280)).astype(np.float32),
              "u16": rng.integers(0, 65535, (5, 300, 280), dtype=np.uint16),
              "dq": (rng.random((5, 300, 280)) < 0.01).astype(np.uint8) * 4,
              "rec": np.zeros(700_000, dtype=[("a", "<f4"), ("b", "<i2"), ("c", "u1")])}
    theirs = tmp_path / "theirs.asdf"
    af = asdf.AsdfFile(dict(arrays))
    af.write_to(theirs, all_array_compression="lz4")
    ours = ramps.write(tmp_path / "ours.asdf", "generic", arrays, compression="lz4")
    with ramps.open(theirs) as a, ramps.open(ours) as b:
        for name in arrays:
            ta = a._index.block_of(a.info(name)).used_size
            tb = b._index.block_of(b.info(name)).used_size
            assert tb <= ta * 1.005, (name, tb, ta)
            np.testing.assert_array_equal(b.read(name), arrays[name])
    with asdf.open(ours) as af2:  # asdf reads our blocks
        np.testing.assert_array_equal(af2["f32"], arrays["f32"])


def _asdf_opens_silently(path):
    """asdf opens the file and reads every block with no warning at all (an off-by-one
    block index gives "Invalid block index contents"; a bad checksum, a bad tree ...)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with asdf.open(str(path), lazy_load=False, validate_checksums=True,
                       memmap=False) as af:
            blocks = af._blocks.blocks
            assert [b.data.nbytes for b in blocks] == [b.header["data_size"] for b in blocks]


@pytest.mark.parametrize("model", ["ScienceRawModel", "ImageModel", "ImageSourceCatalogModel"])
def test_every_asdf_file_ramps_writes_opens_in_asdf_without_warning(tmp_path, roman_file,
                                                                    model):
    """ramps.write of Roman kinds, ramps.save of the model, l1_to_ramp and convert --to
    asdf: asdf opens each with warnings as errors."""
    from ramps.convert.cli import convert_main
    from ramps.ops.roman_ramp import l1_to_ramp

    src, _ = roman_file(model)
    kind, arrays, meta = contents(src)
    written = [ramps.write(tmp_path / "w.asdf", kind, arrays, meta=meta),
               ramps.write(tmp_path / "w_none.asdf", kind, arrays, meta=meta, compression=None)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = ramps.open_model(src)
    written.append(Path(ramps.save(m, tmp_path / "saved.asdf")))
    if model == "ScienceRawModel":
        written.append(l1_to_ramp(src, tmp_path / "ramp.asdf"))
    rate = tmp_path / "jw01234001001_01101_00001_nrcalong_rate.fits"
    f = np.ones((8, 8), np.float32)
    ramps.write(rate, "rate", {"SCI": f, "ERR": f, "DQ": np.zeros((8, 8), np.uint32),
                               "VAR_POISSON": f, "VAR_RNOISE": f}, meta={"meta": {}})
    assert convert_main([str(rate), "--to", "asdf", "-o", str(tmp_path / "conv"),
                         "--quiet"]) == 0
    written.append(tmp_path / "conv" / (rate.stem + ".asdf"))
    for path in written:
        _asdf_opens_silently(path)
