"""ramps.combine_dq and ramps.recompute_err: one interface over every format and scale.

Each case -- a JWST ramp or calints (astropy writes it), a Roman ramp, level 2 image or
mosaic (roman_datamodels writes it), the segments of one exposure -- runs eagerly and
with ``dask=True``, from a path and from an open product, and equals the numpy
reference (tests/reference.py) over the arrays the independent writer holds, bit for
bit.  Then ``out=``, ``output=`` / ``into=`` on every format, and the refusals."""

from __future__ import annotations

import shutil
import subprocess
import sys

import dask.array as da
import numpy as np
import pytest
from astropy.io import fits

import ramps
import reference as ref
from op_files import rdm_open, write_calints, write_ramp
from ramps.errors import FormatError
from ramps.products import dask as products_dask

# "raw": a Roman file saved uncompressed (arrays memory-mapped), else lz4 as rdm saves
DQ_CASES = ["fits ramp", "roman ramp", "roman ramp raw", "exposure"]
ERR_CASES = ["fits calints 2", "fits calints 3", "roman image", "roman image raw",
             "roman mosaic", "exposure"]


def _compression(case):
    return None if case.endswith(" raw") else "lz4"


def _open(src):
    return ramps.open_exposure(src) if isinstance(src, list) else ramps.open(src)


def _dq_case(case, tmp_path, roman):
    """(source, PIXELDQ, GROUPDQ as (nints, ngroups, ny, nx), one integration?)"""
    if case == "fits ramp":
        return (*write_ramp(tmp_path), False)
    if case == "exposure":
        return (*write_ramp(tmp_path, sizes=[2, 1, 2]), False)
    path, _ = roman("RampModel", _compression(case))
    m = rdm_open(path)
    return path, np.array(m.pixeldq), np.array(m.groupdq)[None], True


def _err_case(case, tmp_path, roman):
    """(source, the expected ERR from the writer's variances)"""
    with np.errstate(invalid="ignore"):
        if case.startswith("fits calints"):
            path, vs = write_calints(tmp_path, k=int(case[-1]))
            return path, ref.err_from_variances(*vs)
        if case == "exposure":
            paths, vs = write_calints(tmp_path, sizes=[1, 3, 1])
            return paths, ref.err_from_variances(*vs)
    image = case.startswith("roman image")
    path, _ = roman("ImageModel" if image else "MosaicModel", _compression(case))
    m = rdm_open(path)
    vs = [np.array(m[n]) for n in ("var_poisson", "var_rnoise", "var_flat") if n in m]
    assert len(vs) == (3 if image else 2)
    # float16 variances: summed and rooted in float32, rounded once to float16 (as err)
    return path, ref.err_from_variances(*vs, dtype=np.array(m.err).dtype)


def _run(op, src, opened, **kw):
    if not opened:
        return op(src, **kw)
    with _open(src) as p:
        return op(p, **kw)


@pytest.mark.parametrize("case", DQ_CASES)
@pytest.mark.parametrize("rules", ["or", "stcal"])
@pytest.mark.parametrize("dask", [False, True])
@pytest.mark.parametrize("opened", [False, True])
def test_combine_dq(tmp_path, roman, case, rules, dask, opened):
    src, pixeldq, groupdq, one = _dq_case(case, tmp_path, roman)
    expected = ref.combine_dq(pixeldq, groupdq, rules=rules)
    expected = expected[0] if one else expected  # a Roman ramp: one (ny, nx) plane
    got = _run(ramps.combine_dq, src, opened, rules=rules, dask=dask)
    assert isinstance(got, da.Array if dask else np.ndarray)
    assert got.dtype == np.uint32 and got.shape == expected.shape
    np.testing.assert_array_equal(np.asarray(got), expected)  # dask: computed, file closed


@pytest.mark.parametrize("case", ERR_CASES)
@pytest.mark.parametrize("dask", [False, True])
@pytest.mark.parametrize("opened", [False, True])
def test_recompute_err(tmp_path, roman, case, dask, opened):
    src, expected = _err_case(case, tmp_path, roman)
    got = _run(ramps.recompute_err, src, opened, dask=dask)
    assert isinstance(got, da.Array if dask else np.ndarray)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.asarray(got).tobytes() == expected.tobytes()  # every bit, NaNs too


@pytest.mark.parametrize("case", DQ_CASES + ERR_CASES)
def test_dask_chunks_equal_eager(tmp_path, roman, monkeypatch, case):
    """Chunks of a few integrations (FITS) or of rows of one resultant (Roman, whose
    planes exceed the limit): several tasks, the eager result."""
    monkeypatch.setattr(products_dask, "CHUNK_BYTES", 1000)
    if case in DQ_CASES:
        src = _dq_case(case, tmp_path, roman)[0]
        op = ramps.combine_dq
    else:
        src = _err_case(case, tmp_path, roman)[0]
        op = ramps.recompute_err
    lazy = op(src, dask=True)
    assert lazy.npartitions > 1
    assert lazy.compute().tobytes() == op(src).tobytes()


@pytest.mark.parametrize("case", DQ_CASES)
def test_combine_dq_out(tmp_path, roman, case):
    src, pixeldq, groupdq, one = _dq_case(case, tmp_path, roman)
    expected = ref.combine_dq(pixeldq, groupdq)
    expected = expected[0] if one else expected
    out = np.full(expected.shape, 7, np.uint32)
    with _open(src) as p:
        assert ramps.combine_dq(p, out=out) is out
        assert ramps.combine_dq(p, out=out) is out  # the product stays usable
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(ValueError, match="out must be a C-contiguous uint32"):
        ramps.combine_dq(src, out=np.empty(expected.shape, np.int32))


@pytest.mark.parametrize("case", ERR_CASES)
def test_recompute_err_out(tmp_path, roman, case):
    src, expected = _err_case(case, tmp_path, roman)
    out = np.empty(expected.shape, np.float32)  # out= chooses the dtype: float32 unrounded
    assert ramps.recompute_err(src, out=out) is out
    if expected.dtype == np.float16:
        m = rdm_open(src)
        vs = [np.array(m[n]) for n in ("var_poisson", "var_rnoise", "var_flat")]
        np.testing.assert_array_equal(out, ref.err_from_variances(*vs))
    else:
        assert out.tobytes() == expected.tobytes()


def _hdu(path, name):
    with fits.open(path) as h:
        return np.array(h[name].data)


@pytest.mark.parametrize("case", ["fits calints 3", "exposure"])
def test_recompute_err_output_fits(tmp_path, roman, case):
    """A copy with ERR replaced, every other extension as it was (an exposure: one file)."""
    src, expected = _err_case(case, tmp_path, roman)
    out = ramps.recompute_err(src, output=tmp_path / "x_calints.fits")
    assert out == tmp_path / "x_calints.fits"
    assert _hdu(out, "ERR").tobytes() == expected.astype(">f4").tobytes()
    first = src[0] if isinstance(src, list) else src
    with ramps.open(out) as p:
        assert p.kind == "calints" and p.hdu("ERR").shape == expected.shape
    if case == "exposure":
        np.testing.assert_array_equal(_hdu(out, "VAR_FLAT"),
                                      np.concatenate([_hdu(s, "VAR_FLAT") for s in src]))
    else:
        np.testing.assert_array_equal(_hdu(out, "SCI"), _hdu(first, "SCI"))


def test_recompute_err_output_roman(tmp_path, roman):
    """The copy opens in roman_datamodels, valid, with the recomputed err and every other
    array and the meta unchanged."""
    src, arrays = roman("ImageModel")
    bad = tmp_path / "in.asdf"
    shutil.copy(src, bad)
    out = ramps.recompute_err(bad, output=tmp_path / "out.asdf")
    original, mine = rdm_open(src), rdm_open(out)
    mine.validate()
    assert type(mine).__name__ == "ImageModel" and mine.err.dtype == np.float16
    np.testing.assert_array_equal(mine.err, ramps.recompute_err(src))
    for name in arrays:
        if name != "err":
            np.testing.assert_array_equal(mine[name], original[name])
    assert mine.meta.instrument.detector == original.meta.instrument.detector


def test_recompute_err_cli_in_place(tmp_path, roman):
    src, _ = roman("ImageModel")
    target = tmp_path / "x_cal.asdf"
    shutil.copy(src, target)
    r = subprocess.run([sys.executable, "-m", "ramps.convert", target, "--recompute-err",
                        "--overwrite"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    m = rdm_open(target)  # keep the model (and its file) open while reading err
    np.testing.assert_array_equal(m.err, ramps.recompute_err(src))
    assert m.err.dtype == np.float16


def _rateints(path, shape, rate=False):
    hdus = [fits.ImageHDU(np.ones(shape, np.float32), name="SCI"),
            fits.ImageHDU(np.ones(shape, np.float32), name="ERR"),
            fits.ImageHDU(np.zeros(shape, np.uint32), name="DQ")] + [
                fits.ImageHDU(np.ones(shape, np.float32), name=n)
                for n in ("VAR_POISSON", "VAR_RNOISE")]
    fits.HDUList([fits.PrimaryHDU()] + hdus).writeto(path)
    return path


@pytest.mark.parametrize("case", ["fits ramp", "exposure"])
@pytest.mark.parametrize("rate", [False, True])
def test_combine_dq_into_fits(tmp_path, roman, case, rate):
    """Into a rateints: the per-integration planes; into a rate: their collapse."""
    src, pixeldq, groupdq, _ = _dq_case(case, tmp_path, roman)
    dq = ref.combine_dq(pixeldq, groupdq, rules="stcal")
    kind = "rate" if rate else "rateints"
    into = _rateints(tmp_path / f"jw02734002001_04101_00001_nrcalong_{kind}.fits",
                     dq.shape[1:] if rate else dq.shape)
    out = ramps.combine_dq(src, rules="stcal", into=into, output=tmp_path / f"out_{kind}.fits")
    expected = ref.collapse_dq(dq, rules="stcal") if rate else dq
    np.testing.assert_array_equal(_hdu(out, "DQ"), expected)
    np.testing.assert_array_equal(_hdu(out, "SCI"), _hdu(into, "SCI"))


def test_combine_dq_into_roman_image(tmp_path, roman):
    """A Roman ramp's plane into its level 2 image (same ny, nx): roman_datamodels opens
    the copy with that dq and every other array unchanged."""
    ramp, _ = roman("RampModel")
    image, arrays = roman("ImageModel")
    m = rdm_open(ramp)
    expected = ref.combine_dq(np.array(m.pixeldq), np.array(m.groupdq)[None], rules="stcal")[0]
    out = ramps.combine_dq(ramp, rules="stcal", into=image, output=tmp_path / "x_cal.asdf")
    mine, original = rdm_open(out), rdm_open(image)
    mine.validate()
    np.testing.assert_array_equal(mine.dq, expected)
    for name in arrays:
        if name != "dq":
            np.testing.assert_array_equal(mine[name], original[name])


def test_refusals_name_the_file(tmp_path, roman):
    raw, _ = roman("ScienceRawModel")
    with pytest.raises(FormatError, match=r"ScienceRawModel.*needs at least two of "
                                          r"var_poisson, var_rnoise, var_flat; found none"):
        ramps.recompute_err(raw)
    with pytest.raises(FormatError, match="combining DQ needs pixeldq and groupdq"):
        ramps.combine_dq(raw, dask=True)
    fits_ramp, _, _ = write_ramp(tmp_path)
    for dask in (False, True):
        with pytest.raises(FormatError, match=r"_ramp\.fits: ERR needs at least two of "
                                              r"VAR_POISSON, VAR_RNOISE, VAR_FLAT"):
            ramps.recompute_err(fits_ramp, dask=dask)
    ramp, _ = roman("RampModel")
    with pytest.raises(FormatError, match=r"RampModel_lz4\.asdf: writing the DQ needs .*into="):
        ramps.combine_dq(ramp, output=tmp_path / "x.asdf")
    mosaic, _ = roman("MosaicModel")  # no dq in a mosaic
    with pytest.raises(FormatError, match=r"MosaicModel_lz4\.asdf: a wfi_mosaic product has "
                                          r"no array dq"):
        ramps.combine_dq(ramp, into=mosaic, output=tmp_path / "x.asdf")
    with pytest.raises(FormatError, match=r"\[dq\]: shape \(40, 48\) does not match the new dq "
                                          r"\(8, 16\) from .*_ramp\.fits"):
        ramps.combine_dq(fits_ramp, into=roman("ImageModel")[0], output=tmp_path / "x.asdf")
    assert not list(tmp_path.glob("x.asdf*"))


def test_dask_true_refusals(tmp_path, roman):
    ramp, _ = roman("RampModel")
    with pytest.raises(TypeError, match="lazy"):
        ramps.combine_dq(ramp, dask=True, output=tmp_path / "x.asdf")
    with pytest.raises(TypeError, match="lazy"):
        ramps.recompute_err(roman("ImageModel")[0], dask=True, out=np.empty(3, np.float32))


# -- regressions: Roman files with dask (to_dask itself: tests/asdf/test_dask.py) ---------


def test_roman_dask_finds_every_variance(roman):
    """recompute_err(roman_path, dask=True) looked for FITS names and found none of
    var_poisson, var_rnoise, var_flat: now the graph reads all three."""
    path, _ = roman("ImageModel")
    lazy = ramps.recompute_err(path, dask=True)
    read = {k[0].split("-")[1] for k in dict(lazy.__dask_graph__()) if str(k[0]).startswith(
        "ramps-")}
    assert read == {"var_poisson", "var_rnoise", "var_flat"}
    assert lazy.compute().tobytes() == ramps.recompute_err(path).tobytes()
