"""ramps.recompute_err / ramps.combine_dq on Roman files written by roman_datamodels
(ramps.ops.quality_asdf), against numpy over the arrays roman_datamodels reads."""

import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ramps
import roman_datamodels.datamodels as rdm

from ramps.kernels import flags


def _variances(m) -> list:
    """The variances roman_datamodels holds, as float32 (var_rnoise/var_flat are optional)."""
    out = []
    for n in ("var_poisson", "var_rnoise", "var_flat"):
        try:
            out.append(np.asarray(m[n], np.float32))
        except (KeyError, AttributeError):
            pass
    return out


@pytest.fixture(scope="module")
def roman_file(tmp_path_factory):
    """(path, arrays) of files roman_datamodels saves, with every variance of a level 2
    image (create_fake_data gives var_poisson only) and a ramp whose pixeldq is
    (ny, nx), as real ramps have it (fake data makes it (nresultants, ny))."""
    import roman_fixtures as helpers  # plausible values for every array (its fill)
    cache = {}

    def make(model, compression="lz4"):
        if (model, compression) in cache:
            return cache[model, compression]
        rng = np.random.default_rng(7)
        shape = {"ImageModel": (64, 56), "RampModel": (4, 40, 48),
                 "MosaicModel": (50, 44), "ScienceRawModel": (3, 16, 16)}[model]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = getattr(rdm, model).create_fake_data(shape=shape)
            if model == "ImageModel":
                m.var_rnoise = rng.gamma(2.0, 0.5, shape).astype(np.float16)
                m.var_flat = rng.gamma(2.0, 0.1, shape).astype(np.float16)
            if model == "RampModel":
                m.pixeldq = np.zeros(shape[1:], np.uint32)
                m.pixeldq2 = np.zeros(shape[1:], np.uint32)
            arrays = helpers.fill(m, rng)
            path = tmp_path_factory.mktemp("ops") / f"{model}_{compression}.asdf"
            m.save(str(path), all_array_compression=compression)
        cache[model, compression] = (path, arrays)
        return cache[model, compression]

    return make


def _rdm(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rdm.open(str(path))


@pytest.mark.parametrize("compression", ["lz4", None])
def test_recompute_err_level2_float16(roman_file, compression):
    """rad 1.2 stores err and var_* as float16: ERR is summed and rooted in float32
    (numpy's float32 of the float16 values) and rounded once to float16."""
    src, _ = roman_file("ImageModel", compression=compression)
    m = _rdm(src)
    f32 = _variances(m)
    assert len(f32) == 3
    total = f32[0] + f32[1] + (f32[2] if len(f32) > 2 else 0)  # left to right, in float32
    ref = np.sqrt(total).astype(np.float16)
    err = ramps.recompute_err(src)
    assert err.dtype == np.float16 == m.err.dtype
    np.testing.assert_array_equal(err, ref)
    out = np.empty(ref.shape, np.float32)  # out= chooses the dtype: float32 unrounded
    ramps.recompute_err(src, out=out)
    np.testing.assert_array_equal(out, np.sqrt(total))


def test_recompute_err_mosaic_float32(roman_file):
    src, _ = roman_file("MosaicModel")
    m = _rdm(src)
    f32 = _variances(m)
    ref = np.sqrt(f32[0] + f32[1] + (f32[2] if len(f32) > 2 else 0))
    err = ramps.recompute_err(src)
    assert err.dtype == np.float32
    np.testing.assert_array_equal(err, ref)


def test_recompute_err_output_copy_opens_in_roman_datamodels(tmp_path, roman_file):
    """The copy has the recomputed err and every other array and meta unchanged."""
    src, arrays = roman_file("ImageModel")
    bad = tmp_path / "in.asdf"
    shutil.copy(src, bad)
    out = ramps.recompute_err(bad, output=tmp_path / "out.asdf")
    ref, mine = _rdm(src), _rdm(out)
    mine.validate()
    assert type(mine).__name__ == "ImageModel"
    np.testing.assert_array_equal(mine.err, ramps.recompute_err(src))
    for name in arrays:
        if name != "err":
            np.testing.assert_array_equal(mine[name], ref[name])
    assert mine.meta.exposure.type == ref.meta.exposure.type
    assert mine.meta.instrument.detector == ref.meta.instrument.detector


def test_recompute_err_cli_in_place(tmp_path, roman_file):
    src, _ = roman_file("ImageModel")
    target = tmp_path / "x_cal.asdf"
    shutil.copy(src, target)
    r = subprocess.run([sys.executable, "-m", "ramps.convert", target, "--recompute-err",
                        "--overwrite"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    m = _rdm(target)  # keep the model (and its file) open while reading err
    np.testing.assert_array_equal(m.err, ramps.recompute_err(src))
    assert m.err.dtype == np.float16


@pytest.mark.parametrize("rules", ["or", "stcal"])
def test_combine_dq_roman_ramp(roman_file, rules):
    """A Roman ramp is one integration: (ny, nx) from pixeldq and every resultant."""
    src, _ = roman_file("RampModel")
    m = _rdm(src)
    pix, grp = np.asarray(m.pixeldq), np.asarray(m.groupdq)
    got = ramps.combine_dq(src, rules=rules)
    assert got.shape == pix.shape and got.dtype == np.uint32
    if rules == "or":
        np.testing.assert_array_equal(got, pix | np.bitwise_or.reduce(grp, axis=0))
    else:  # stcal: jump, saturation, persistence carried; other group bits not
        keep = flags.JUMP_DET | flags.SATURATED | flags.PERSISTENCE
        any_keep = np.bitwise_or.reduce(grp & keep, axis=0).astype(np.uint32)
        assert np.all((got & any_keep) == any_keep)
        assert np.all(got & pix == pix)


def test_ops_refuse_with_named_file(roman_file, tmp_path):
    src, _ = roman_file("ScienceRawModel")
    with pytest.raises(ValueError, match="ScienceRawModel.*|needs at least two"):
        ramps.recompute_err(src)
    with pytest.raises(ValueError, match="pixeldq and groupdq"):
        ramps.combine_dq(src)
    ramp, _ = roman_file("RampModel")
    with pytest.raises(ValueError, match="not supported"):
        ramps.combine_dq(ramp, output=tmp_path / "x.asdf")
