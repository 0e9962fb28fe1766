"""ramps.open on files that stdatamodels and astropy write: kinds, arrays, headers, meta,
lazy SCI, validation, and clear errors for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps import FormatError

import stdatamodels.jwst.datamodels as dm

RNG = np.random.default_rng(42)


def _meta(m, nints=2, ngroups=3):
    m.meta.instrument.name = "NIRCAM"
    m.meta.instrument.detector = "NRCALONG"
    m.meta.exposure.type = "NRC_TSGRISM"
    m.meta.exposure.nints = nints
    m.meta.exposure.ngroups = ngroups
    m.meta.observation.date = "2024-01-01"
    m.meta.observation.time = "00:00:00"
    return m


def f32(*shape):
    return RNG.random(shape, dtype=np.float32)


def _save(model, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path)
    return path


MODELS = {
    "uncal": lambda: dm.Level1bModel(data=RNG.integers(0, 65536, (2, 3, 8, 16), dtype=np.uint16)),
    "ramp": lambda: dm.RampModel(data=f32(2, 3, 8, 16),
                                 pixeldq=RNG.integers(0, 2**32, (8, 16), dtype=np.uint32),
                                 groupdq=RNG.integers(0, 256, (2, 3, 8, 16), dtype=np.uint8)),
    "rate": lambda: dm.ImageModel(data=f32(8, 16), err=f32(8, 16),
                                  dq=RNG.integers(0, 2**32, (8, 16), dtype=np.uint32),
                                  var_poisson=f32(8, 16), var_rnoise=f32(8, 16)),
    "rateints": lambda: dm.CubeModel(data=f32(4, 8, 16), err=f32(4, 8, 16),
                                     dq=RNG.integers(0, 9, (4, 8, 16), dtype=np.uint32),
                                     var_poisson=f32(4, 8, 16), var_rnoise=f32(4, 8, 16)),
    "s3d": lambda: dm.IFUCubeModel(data=f32(6, 8, 9), err=f32(6, 8, 9),
                                   dq=np.zeros((6, 8, 9), np.uint32), weightmap=f32(6, 8, 9)),
}
MODEL_CLASS = {"uncal": "Level1bModel", "ramp": "RampModel", "rate": "ImageModel",
               "rateints": "CubeModel", "s3d": "IFUCubeModel"}
ATTR_EXT = {"data": "SCI", "err": "ERR", "dq": "DQ", "pixeldq": "PIXELDQ", "groupdq": "GROUPDQ",
            "var_poisson": "VAR_POISSON", "var_rnoise": "VAR_RNOISE", "weightmap": "WMAP"}


@pytest.fixture(scope="module")
def sdm_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("sdm")
    out = {}
    for kind, make in MODELS.items():
        model = _meta(make())
        path = d / f"jw01234001001_01101_00001_nrcalong_{kind}.fits"
        _save(model, path)
        out[kind] = (path, {a: np.array(getattr(model, a)) for a in ATTR_EXT
                            if a in model.instance})
    return out


@pytest.mark.parametrize("kind", list(MODELS))
def test_stdatamodels_file_opens_as_its_kind(sdm_files, kind):
    path, arrays = sdm_files[kind]
    with ramps.open(path) as p:
        assert p.kind == kind
        assert p.meta["model_type"] == MODEL_CLASS[kind]
        assert p.meta["exposure"]["nints"] == 2
        assert p.meta["instrument"]["name"] == "NIRCAM"
        assert p.validate().errors == []
        for attr, expected in arrays.items():
            ext = ATTR_EXT[attr]
            got = p[ext]
            assert got.shape == expected.shape, ext
            np.testing.assert_array_equal(got, expected, err_msg=ext)
            assert p.read(ext).dtype == expected.dtype.newbyteorder("=")


def test_kind_from_name_when_datamodl_is_ambiguous(sdm_files, tmp_path):
    """ImageModel could be rate, cal, i2d ...: the file-name suffix decides."""
    path, _ = sdm_files["rate"]
    target = tmp_path / "jw01234001001_01101_00001_nrcalong_cal.fits"
    target.write_bytes(path.read_bytes())
    with ramps.open(target) as p:
        assert p.kind == "cal"


def test_uncal_sci_lazy_float32(sdm_files):
    path, arrays = sdm_files["uncal"]
    counts = arrays["data"]
    with ramps.open(path) as p:
        assert p["SCI"].dtype == np.uint16
        lazy = p.sci
        assert lazy.shape == counts.shape and lazy.dtype == np.float32
        np.testing.assert_array_equal(lazy[1], counts[1].astype(np.float32))
        np.testing.assert_array_equal(lazy[0, 2], counts[0, 2].astype(np.float32))
        np.testing.assert_array_equal(lazy[-1:], counts[-1:].astype(np.float32))
        np.testing.assert_array_equal(np.asarray(lazy), counts.astype(np.float32))
        out = np.empty(counts.shape, np.float32)
        assert p.read("SCI", dtype="float32", out=out) is out
        np.testing.assert_array_equal(out, counts)
        np.testing.assert_array_equal(p.read("SCI", raw=True), counts)
        # the same through astropy (which applies BZERO itself)
        with fits.open(path) as h:
            np.testing.assert_array_equal(p.read("SCI"), h["SCI"].data)


def test_float_images_are_read_only_views(sdm_files):
    path, arrays = sdm_files["rate"]
    with ramps.open(path) as p:
        sci = p["SCI"]
        assert not sci.flags.writeable
        with pytest.raises(ValueError):
            sci[0, 0] = 1
        np.testing.assert_array_equal(sci, arrays["data"])


def test_extensions_and_headers(sdm_files):
    path, _ = sdm_files["ramp"]
    with ramps.open(path) as p, fits.open(path) as h:
        ours = [(e.name, e.ver, e.type, e.shape) for e in p.extensions]
        theirs = [("PRIMARY", 1, "PRIMARY", ())] + [
            (x.name, x.ver, x.header["XTENSION"].strip(), x.data.shape) for x in h[1:]]
        assert ours == theirs
        assert [str(e.dtype) for e in p.extensions if e.type == "IMAGE"] == \
            ["float32", "uint32", "uint8"]
        assert p.header("PIXELDQ")["BZERO"] == 2147483648
        assert p.primary_header["DATAMODL"] == "RampModel"
        assert p.header("SCI") == h["SCI"].header


def test_tables(tmp_path):
    rows = np.zeros(3, dtype=[("integration_number", ">i4"), ("int_start_MJD_UTC", ">f8")])
    rows["integration_number"] = [1, 2, 3]
    path = tmp_path / "t.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((3, 2, 2), np.float32), name="SCI"),
                  fits.BinTableHDU(rows, name="INT_TIMES")]).writeto(path)
    with ramps.open(path, kind="rateints") as p:
        np.testing.assert_array_equal(p["INT_TIMES"]["integration_number"], [1, 2, 3])
        assert list(p.table("INT_TIMES").colnames) == ["integration_number", "int_start_MJD_UTC"]


def test_closed_product_raises(sdm_files):
    path, _ = sdm_files["rate"]
    p = ramps.open(path)
    kept = p["SCI"]
    p.close()
    assert p.closed
    with pytest.raises(ramps.ClosedError, match="closed"):
        p["SCI"]
    with pytest.raises(ramps.ClosedError):
        p.header("SCI")
    assert kept.shape == (8, 16)  # arrays handed out before close stay valid


def test_file_object_source_reads_the_same(sdm_files):
    import io

    path, arrays = sdm_files["ramp"]
    with ramps.open(io.BytesIO(path.read_bytes())) as p:
        assert p.kind == "ramp"
        np.testing.assert_array_equal(p.read("GROUPDQ"), arrays["groupdq"])


# --- validation -----------------------------------------------------------------

def _write(path, hdus, datamodl=None):
    prim = fits.PrimaryHDU()
    if datamodl:
        prim.header["DATAMODL"] = datamodl
    fits.HDUList([prim] + hdus).writeto(path)
    return path


def test_validate_finds_problems(tmp_path):
    path = _write(tmp_path / "bad_ramp.fits", [
        fits.ImageHDU(np.zeros((2, 3, 8, 16), np.float32), name="SCI"),
        fits.ImageHDU(np.zeros((8, 15), np.uint32), name="PIXELDQ"),
        fits.ImageHDU(np.zeros((2, 3, 8, 16), np.int16), name="GROUPDQ"),
    ], "RampModel")
    problems = [str(m) for m in ramps.validate(path)]
    assert any("PIXELDQ" in m and "inconsistent" in m for m in problems), problems
    assert any("GROUPDQ" in m and "dtype int16" in m for m in problems), problems
    assert all(str(path) in m for m in problems)
    with pytest.raises(ramps.ValidationError, match="PIXELDQ|GROUPDQ"):
        ramps.validate(path, strict=True)


def test_validate_missing_sci(tmp_path):
    path = _write(tmp_path / "x_rate.fits", [
        fits.ImageHDU(np.zeros((4, 4), np.float32), name="ERR"),
        fits.ImageHDU(np.zeros((4, 4), np.uint32), name="DQ")], "ImageModel")
    problems = [str(m) for m in ramps.validate(path)]
    assert any("SCI" in m and "HDU 1" in m for m in problems)
    assert any("SCI" in m and "missing" in m for m in problems)


def test_validate_extver_gap(tmp_path):
    hdus = []
    for v in (1, 3):
        for name in ("SCI", "DQ", "ERR"):
            h = fits.ImageHDU(np.zeros((5, 7), np.uint32 if name == "DQ" else np.float32), name=name)
            h.ver = v
            hdus.append(h)
    path = _write(tmp_path / "mos_cal.fits", hdus, "MultiSlitModel")
    problems = [str(m) for m in ramps.validate(path)]
    assert any("EXTVER set [1, 3]" in m for m in problems), problems


# --- bad input --------------------------------------------------------------------

def test_not_fits(tmp_path):
    path = tmp_path / "x.fits"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(3000))
    with pytest.raises(FormatError, match=str(path)):
        ramps.open(path)


def test_truncated(sdm_files, tmp_path):
    path, _ = sdm_files["uncal"]
    raw = path.read_bytes()
    cut = tmp_path / "cut_uncal.fits"
    cut.write_bytes(raw[:2880 * 2 + 100])
    with pytest.raises(FormatError, match="cut_uncal.fits.*SCI"):
        ramps.open(cut)


def test_wrong_bitpix_for_kind(tmp_path):
    path = _write(tmp_path / "f_uncal.fits", [
        fits.ImageHDU(np.zeros((1, 2, 4, 4), np.float64), name="SCI")], "Level1bModel")
    with ramps.open(path) as p:
        problems = [str(m) for m in p.validate().errors]
    assert any("SCI" in m and "float64" in m and "uint16" in m for m in problems), problems


def test_corrupt_asdf_extension(sdm_files, tmp_path):
    path, _ = sdm_files["rate"]
    with fits.open(path) as h:
        blob = h["ASDF"].data["ASDF_METADATA"][0].copy()
        blob[40:200] = ord("%")
        col = fits.Column(name="ASDF_METADATA", format=f"{blob.size}B", array=blob[None])
        h["ASDF"] = fits.BinTableHDU.from_columns([col], name="ASDF")
        bad = tmp_path / "corrupt_rate.fits"
        h.writeto(bad)
    with ramps.open(bad) as p:
        assert p.kind == "rate"
        with pytest.raises(FormatError, match=r"corrupt_rate.fits\[ASDF,1\].*corrupt"):
            p.meta


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc peak RSS")
def test_uncal_to_float32_peak_memory(tmp_path):
    """Reading a 4-D uncal to float32 peaks at the output plus a small constant.

    The file is ~200 MB of uint16 (400 MB float32). The reader decodes in chunks
    and releases consumed input pages, so page-cache pages mapped from the file
    do not add up in the process's RSS.
    """
    shape = (10, 10, 256, 2048) if os.environ.get("RAMPS_LARGE_TESTS") else (5, 10, 256, 2048)
    path = tmp_path / "big_uncal.fits"
    data = np.random.default_rng(0).integers(0, 65536, shape, dtype=np.uint16)
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, name="SCI")]).writeto(path)
    expected_sum = float(data.astype(np.float64).sum())
    del data
    code = f"""
import numpy as np, ramps
def hwm():  # VmHWM, not ru_maxrss: that keeps the forking pytest's peak across exec
    return int([l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1])
base = hwm()
with ramps.open({str(path)!r}) as p:
    a = p.read("SCI", dtype="float32")
peak = hwm()
print(base * 1024, peak * 1024, a.nbytes, float(a.sum(dtype=np.float64)))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    base, peak, nbytes, total = out.stdout.split()
    base, peak, nbytes = int(base), int(peak), int(nbytes)
    assert float(total) == expected_sum
    assert peak - base <= nbytes + 80 * 2**20, (peak - base, nbytes)


def test_multispec_x1d_from_stdatamodels(tmp_path):
    """MultiSpecModel: one EXTRACT1D table per source, EXTVER 1..n."""
    from asdf.tags.core.ndarray import asdf_datatype_to_numpy_dtype

    model = dm.MultiSpecModel()
    model.meta.instrument.name = "NIRSPEC"
    for i in range(3):
        spec = dm.SpecModel()
        cols = spec.schema["properties"]["spec_table"]["datatype"]
        table = np.zeros(5, dtype=[(c["name"], asdf_datatype_to_numpy_dtype(c["datatype"]))
                                   for c in cols])
        table["WAVELENGTH"] = np.arange(5) + 10 * i
        table["FLUX"] = RNG.random(5)
        spec.spec_table = table
        model.spec.append(spec)
    path = _save(model, tmp_path / "jw01234-o001_s00001_nirspec_clear-prism_x1d.fits")
    with ramps.open(path) as p:
        assert p.kind == "x1d"
        assert p.versions("EXTRACT1D") == [1, 2, 3]
        assert p.validate().errors == []
        for i in range(3):
            got = p["EXTRACT1D", i + 1]
            np.testing.assert_array_equal(got["WAVELENGTH"], np.arange(5) + 10 * i)
            np.testing.assert_array_equal(got["FLUX"], model.spec[i].spec_table["FLUX"])
        assert len(p.asdf_tree["spec"]) == 3


def test_multislit_cal_from_stdatamodels(tmp_path):
    """MultiSlitModel: SCI, DQ, ERR, VAR_* repeated per slit with EXTVER 1..n."""
    model = dm.MultiSlitModel()
    _meta(model)
    slits = []
    for i in range(4):
        arrays = dict(data=f32(5, 7), dq=RNG.integers(0, 9, (5, 7), dtype=np.uint32),
                      err=f32(5, 7), var_poisson=f32(5, 7), var_rnoise=f32(5, 7),
                      var_flat=f32(5, 7))
        slit = dm.SlitModel(**arrays)
        slit.name = f"S{i}"
        model.slits.append(slit)
        slits.append(arrays)
    path = _save(model, tmp_path / "jw01234001001_01101_00001_nrs1_cal.fits")
    with ramps.open(path) as p:
        assert p.kind == "cal"
        assert p.versions("SCI") == [1, 2, 3, 4]
        assert p.validate().errors == []
        for i, arrays in enumerate(slits, 1):
            for attr, ext in [("data", "SCI"), ("dq", "DQ"), ("err", "ERR"),
                              ("var_flat", "VAR_FLAT")]:
                np.testing.assert_array_equal(p[ext, i], arrays[attr], err_msg=f"{ext},{i}")
        assert [s["name"] for s in p.asdf_tree["slits"]] == ["S0", "S1", "S2", "S3"]
        np.testing.assert_array_equal(np.asarray(p.asdf_tree["slits"][2]["data"]), slits[2]["data"])


@pytest.mark.parametrize("bitpix, bscale, bzero", [(16, 2.5, 0.0), (16, 0.5, 100.0),
                                                   (32, 1e-3, 0.0), (8, 3.0, -1.0)])
def test_scaled_images_come_scaled_as_astropy_reads_them(tmp_path, bitpix, bscale, bzero):
    """An image stored with BSCALE != 1 (integers x BSCALE + BZERO): p[name], p.read and
    p.sci all give the physical values astropy gives (float32 for BITPIX 8/16, float64
    for 32), never the stored integers."""
    rng = np.random.default_rng(bitpix)
    dtype = {8: np.uint8, 16: np.int16, 32: np.int32}[bitpix]
    stored = rng.integers(0, 100, (2, 3, 4), dtype=dtype)
    hdu = fits.ImageHDU(stored, name="SCI", do_not_scale_image_data=True)
    hdu.header["BSCALE"], hdu.header["BZERO"] = bscale, bzero
    path = tmp_path / "scaled.fits"
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(path)
    with fits.open(path) as hdul:
        want = hdul["SCI"].data
        assert not np.array_equal(want, stored)  # astropy scales them
    with ramps.open(path) as p:
        got = p["SCI"]
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(p.read("SCI"), want)
        np.testing.assert_array_equal(p.sci[1], want[1].astype(p.sci.dtype))


@pytest.mark.parametrize("dtype, cards", [
    (np.int16, {}), (np.int32, {}), (np.uint8, {}), (np.int16, {"BSCALE": 2.0}),
    (np.int64, {"BZERO": 5.0}), (np.int16, {"BZERO": 32768}), (np.int32, {"BZERO": 2**31})])
def test_blank_reads_as_astropy_reads_it(tmp_path, dtype, cards):
    """Integer images with BLANK (issue 20): floats (float32 for 8/16 bits, float64 for
    32/64) with NaN where the stored value is BLANK, as astropy gives them, whether or
    not BSCALE/BZERO scale them; the pseudo-unsigned conventions stay exact integers
    with the blank value kept (astropy does not NaN those either).  Whole reads, item
    access and lazy planes (float32, as always) agree; the blanks sit in two different blocks of the read."""
    from astropy.io import fits

    data = np.arange(3 * 4 * 5).reshape(3, 4, 5).astype(dtype)
    data[0, 1, 2] = data[2, 3, 4] = 7
    hdu = fits.PrimaryHDU(data)
    for k, v in cards.items():
        hdu.header[k] = v
    hdu.header["BLANK"] = 7
    hdu.writeto(tmp_path / "blank.fits")
    with fits.open(tmp_path / "blank.fits") as hdul:
        want = hdul[0].data
    with ramps.open(tmp_path / "blank.fits") as p:
        for got in (p[0], p.read(0)):
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)  # NaN == NaN for assert_array_equal
        planes = np.stack([p.lazy(0)[i] for i in range(3)])  # lazy planes: float32
        np.testing.assert_array_equal(planes, want.astype(np.float32))
    assert np.isnan(want).sum() == (0 if want.dtype.kind in "iu" else 2)


def test_defects_a_new_user_hit(tmp_path, capsys):
    """Issue 20, 6: info() with no argument prints and returns None (it raised after
    printing); a folder given as a file says so, naming it (mmap's bare EINVAL before);
    an integration past the end names the file and the extension."""
    path = tmp_path / "x_rateints.fits"
    ramps.write(path, "rateints", {"SCI": np.zeros((2, 4, 5), np.float32)})
    with ramps.open(path) as p:
        assert p.info() is None
        assert capsys.readouterr().out.splitlines()[0] == f"Filename: {path}"
        with pytest.raises(IndexError, match=rf"{path}\[SCI,1\]: index 10 out of range"):
            p.sci[10]
    with pytest.raises(IsADirectoryError, match="is a folder") as e:
        ramps.open(tmp_path)
    assert e.value.filename == str(tmp_path)
