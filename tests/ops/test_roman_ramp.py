"""ramps.ops.roman_ramp.l1_to_ramp against roman_datamodels' own level 1 -> ramp
(RampModel.from_science_raw): same data, DQ and amp33; roman_datamodels opens
and validates the file; the border reference pixels are data's outer 4 columns
and rows as romancal's dq_init takes them."""

import warnings

import numpy as np
import pytest

import ramps
from ramps.ops.roman_ramp import l1_to_ramp
from ramps.errors import FormatError

import roman_datamodels.datamodels as rdm


@pytest.mark.parametrize("compression", ["lz4", None])
def test_l1_to_ramp_matches_roman_datamodels(tmp_path, roman_file, compression):
    src, arrays = roman_file("ScienceRawModel")
    out = l1_to_ramp(src, tmp_path / "ramp.asdf", compression=compression)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = rdm.RampModel.from_science_raw(rdm.open(str(src)))
        mine = rdm.open(str(out))
    assert type(mine).__name__ == "RampModel"
    mine.validate()
    for name in ("data", "pixeldq", "groupdq", "amp33"):
        np.testing.assert_array_equal(mine[name], ref[name])
        assert mine[name].dtype == ref[name].dtype
    data = arrays["data"].astype(np.float32)
    np.testing.assert_array_equal(mine.border_ref_pix_left, data[:, :, :4])
    np.testing.assert_array_equal(mine.border_ref_pix_bottom, data[:, -4:, :])
    assert dict(mine.meta.cal_step) == {k: "INCOMPLETE" for k in ref.meta.cal_step}
    assert mine.meta.exposure.type == ref.meta.exposure.type
    with ramps.open(out) as p:
        assert p.kind == "ramp" and p.validate() == []


def test_refuses_other_levels(tmp_path, roman_file):
    src, _ = roman_file("ImageModel")
    with pytest.raises(FormatError, match="not level 1"):
        l1_to_ramp(src, tmp_path / "x.asdf")
