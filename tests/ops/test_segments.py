"""ramps.ops.segments.write_segmented, where it lives: each -segNNN file holds its own
integrations' SCI planes and exactly their INT_TIMES rows (not only through the CLI)."""

from __future__ import annotations

import numpy as np

import ramps
from ramps.ops.segments import write_segmented


def test_split_segments_carry_their_int_times_rows(tmp_path):
    nints = 7
    sci = (np.arange(nints * 2 * 16 * 16) % 60000).astype(np.uint16).reshape(nints, 2, 16, 16)
    times = np.zeros(nints, [("integration_number", ">i4"), ("int_mid_MJD_UTC", ">f8")])
    times["integration_number"] = np.arange(1, nints + 1)
    times["int_mid_MJD_UTC"] = 60000 + np.arange(nints) / 100
    plane = sci[0].nbytes
    out = write_segmented(tmp_path / "jw01234001001_01101_00001_nrcalong_uncal.fits", "uncal",
                          {"SCI": sci, "INT_TIMES": times},
                          max_segment_bytes=64 * 2880 + 3 * plane + 100)
    assert len(out) == 3 and [p.name for p in out] == [
        f"jw01234001001_01101_00001-seg00{k}_nrcalong_uncal.fits" for k in (1, 2, 3)]
    seen = []
    for k, path in enumerate(out, 1):
        with ramps.open(path) as p:
            h = p.primary_header
            start, end = h["INTSTART"], h["INTEND"]
            assert h["EXSEGNUM"] == k and h["EXSEGTOT"] == 3
            np.testing.assert_array_equal(p.read("SCI"), sci[start - 1:end])
            rows = p["INT_TIMES"]
            assert list(rows["integration_number"]) == list(range(start, end + 1))
            np.testing.assert_array_equal(rows["int_mid_MJD_UTC"],
                                          times["int_mid_MJD_UTC"][start - 1:end])
            seen += list(rows["integration_number"])
    assert seen == list(range(1, nints + 1))  # every row once, in order
