"""copy_product: the one copy operation, for both formats: FITS copies checked with astropy
reads, Roman copies with roman_datamodels; the options a format has not, refused."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

import ramps
from op_files import rdm_open
from ramps.errors import FormatError
from ramps.fits.write import write
from ramps.ops.copy import copy_product


@pytest.fixture
def rateints(tmp_path):
    rng = np.random.default_rng(3)
    arrays = {"SCI": rng.random((2, 4, 5), dtype=np.float32),
              "ERR": rng.random((2, 4, 5), dtype=np.float32),
              "DQ": rng.integers(0, 9, (2, 4, 5), dtype=np.uint32),
              "VAR_POISSON": rng.random((2, 4, 5), dtype=np.float32),
              "VAR_RNOISE": rng.random((2, 4, 5), dtype=np.float32)}
    meta = {"meta": {"instrument": {"name": "NIRCAM"}, "exposure": {"nints": 2}}}
    return write(tmp_path / "x_rateints.fits", "rateints", arrays, header={"TESTKEY": 5},
                 meta=meta), arrays


def test_copy_with_one_extension_replaced(rateints, tmp_path):
    path, arrays = rateints
    new_err = np.full((2, 4, 5), 7, np.float32)
    with ramps.open(path) as p:
        out = copy_product(p, tmp_path / "y_rateints.fits", {"err": new_err})
    with fits.open(out) as hl, fits.open(path) as ref:
        np.testing.assert_array_equal(hl["ERR"].data, new_err)
        np.testing.assert_array_equal(hl["SCI"].data, ref["SCI"].data)
        np.testing.assert_array_equal(hl["DQ"].data, arrays["DQ"])
        assert hl[0].header["TESTKEY"] == 5
    with ramps.open(out) as q:
        assert q.meta["instrument"]["name"] == "NIRCAM"


def test_copy_refuses_a_replacement_of_another_shape(rateints, tmp_path):
    path, _ = rateints
    with ramps.open(path) as p, pytest.raises(ValueError, match=(
            r"x_rateints\.fits\[DQ,1\]: shape \(2, 4, 5\) does not match the new DQ "
            r"\(4, 5\) from the kernel")):
        copy_product(p, tmp_path / "y_rateints.fits", {("DQ", 1): np.zeros((4, 5), np.uint32)},
                     origin="the kernel")
    assert not (tmp_path / "y_rateints.fits").exists()


def test_copy_roman_with_one_array_replaced(roman, tmp_path):
    """Same kind, meta and other arrays; roman_datamodels validates the copy."""
    src, arrays = roman("ImageModel")
    new_dq = np.arange(40 * 48, dtype=np.uint32).reshape(40, 48)
    with ramps.open(src) as p:
        out = copy_product(p, tmp_path / "y_cal.asdf", {"dq": new_dq}, compression=None)
    mine, original = rdm_open(out), rdm_open(src)
    mine.validate()
    np.testing.assert_array_equal(mine.dq, new_dq)
    for name in arrays:
        if name != "dq":
            np.testing.assert_array_equal(mine[name], original[name])
    assert mine.meta.instrument.detector == original.meta.instrument.detector
    with ramps.open(out) as q:  # compression=None: every block stored as is
        assert {b.compression for b in q.index.blocks} == {None}


def test_copy_refuses_what_a_format_has_not(roman, rateints, tmp_path):
    src, _ = roman("ImageModel")
    with ramps.open(src) as p:
        with pytest.raises(FormatError, match=r"ImageModel_lz4\.asdf: an ASDF product has no "
                                              r"header"):
            copy_product(p, tmp_path / "a.asdf", header={"X": 1})
        with pytest.raises(FormatError, match=r"a wfi_image product has no array sci"):
            copy_product(p, tmp_path / "a.asdf", {"sci": np.zeros((40, 48), np.float32)})
        with pytest.raises(FormatError, match=r"\[err\]: shape \(40, 48\) does not match "
                                              r"the new err \(2, 2\) from here"):
            copy_product(p, tmp_path / "a.asdf", {"err": np.zeros((2, 2))}, origin="here")
    with ramps.open(rateints[0]) as p, pytest.raises(
            FormatError, match=r"x_rateints\.fits: FITS copies are written uncompressed"):
        copy_product(p, tmp_path / "a.fits", compression="lz4")
    generic = ramps.write(tmp_path / "g.asdf", "generic", {"data": np.zeros(3, np.float32)})
    with ramps.open(generic) as g, pytest.raises(FormatError, match="not a Roman product"):
        copy_product(g, tmp_path / "a.asdf")
    assert not list(tmp_path.glob("a.*"))
