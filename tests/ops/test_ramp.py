"""Output planning of uncal -> ramp conversions (ramps.ops.ramp), on files the tests write;
the conversions themselves run through the command line in tests/convert/test_cli.py."""

from __future__ import annotations


import numpy as np
import pytest

import ramps
from ramps.ops import ramp as conversion
from ramps.errors import FormatError
from ramps.fits.write import write


def _uncal(path, nints, seg=None):
    header = None
    if seg is not None:
        num, tot, start = seg
        header = {"EXSEGNUM": num, "EXSEGTOT": tot, "INTSTART": start, "INTEND": start + nints - 1}
    return write(path, "uncal", {"SCI": np.zeros((nints, 2, 4, 8), np.uint16)}, header=header)


@pytest.mark.parametrize("name, segment, expected", [
    ("jw02734002001_04101_00001-seg002_nrcalong_uncal.fits", False,
     "jw02734002001_04101_00001-seg002_nrcalong_ramp.fits"),
    ("jw02734002001_04101_00001-seg002_nrcalong_uncal.fits", None,
     "jw02734002001_04101_00001_nrcalong_ramp.fits"),
    ("big_uncal.fits", False, "big_ramp.fits"),
    ("big_uncal.fits", 2, "big_ramp-seg002.fits"),  # was big_ramp.fits for every segment
    ("big.fits", 1, "big_ramp-seg001.fits"),
])
def test_ramp_name(name, segment, expected):
    assert conversion.ramp_name(name, segment) == expected


def test_split_outputs_of_a_non_grammar_name_are_distinct(tmp_path):
    """5 integrations of 2*4*8 pixels: 64 * 5 = 320 ramp bytes each (SCI f4, GROUPDQ u1;
    no ERR, the default); the fixed part is PIXELDQ's 4*8*4 = 128 plus 64*2880 header
    bytes = 184448, so a limit of 184448 + 2*320
    holds two integrations: segments 1..2, 3..4, 5..5."""
    src = _uncal(tmp_path / "big_uncal.fits", 5)
    with ramps.open(src) as p, conversion.alone(p) as inputs:
        jobs = conversion.plan_ramp_outputs(inputs, tmp_path, max_segment_bytes=184448 + 2 * 320)
    assert [(j.path.name, j.start, j.end, j.segment) for j in jobs] == [
        ("big_ramp-seg001.fits", 0, 2, (1, 3)), ("big_ramp-seg002.fits", 2, 4, (2, 3)),
        ("big_ramp-seg003.fits", 4, 5, (3, 3))]
    assert all(j.inputs == [str(src)] for j in jobs)


def test_a_lone_segment_keeps_its_place(tmp_path):
    src = _uncal(tmp_path / "jw02734002001_04101_00001-seg002_nrcalong_uncal.fits", 3,
                 seg=(2, 3, 4))
    with ramps.open(src) as p, conversion.alone(p) as inputs:
        assert isinstance(inputs, ramps.Exposure) and inputs.ranges == [(4, 6)]
        (job,) = conversion.plan_ramp_outputs(inputs, tmp_path / "out")
        # integrations keep the exposure's numbering: 3 (0-based) is the segment's first
        assert inputs.locate(3) == (p, 0) and inputs.locate(5) == (p, 2)
        with pytest.raises(IndexError, match=r"integration 0 is not in .*\(integrations 4..6"):
            inputs.locate(0)
    assert (job.path.name, job.start, job.end, job.segment, job.inputs) == (
        "jw02734002001_04101_00001-seg002_nrcalong_ramp.fits", 3, 6, (2, 3), [str(src)])


def test_a_lone_segment_whose_keywords_disagree_with_its_data(tmp_path):
    src = _uncal(tmp_path / "x_uncal.fits", 3, seg=(2, 3, 4))
    with ramps.open(src) as p:
        p.primary_header["INTEND"] = 9  # the cached header: SCI holds 3, INTSTART..INTEND 6
        with pytest.raises(FormatError, match=r"holds 3 integrations but INTSTART..INTEND is 4..9"):
            conversion.alone(p)
