"""copy_product: the one copy-a-product loop, checked with astropy reads of the copy."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

import ramps
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
