"""What a ramps.convert run writes, decided before writing (ramps.convert.plan)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ramps.convert import plan as convert_plan
from ramps.convert.job import Options
from ramps.fits.write import write


def _uncal(path, nints=1):
    path.parent.mkdir(parents=True, exist_ok=True)
    return write(path, "uncal", {"SCI": np.zeros((nints, 2, 4, 8), np.uint16)})


def test_group_exposures_by_name_without_the_segment_mark():
    P = Path
    groups = convert_plan.group_exposures([
        P("a/x-seg001_uncal.fits"), P("a/x-seg002_uncal.fits"), P("b/x-seg001_uncal.fits"),
        P("jw02734002001_04101_00001-seg001_nrcalong_uncal.fits"),
        P("jw02734002001_04101_00001-seg002_nrcalong_uncal.fits"), P("y_uncal.fits")])
    assert [[p.as_posix() for p in g] for g in groups] == [
        ["a/x-seg001_uncal.fits", "a/x-seg002_uncal.fits"], ["b/x-seg001_uncal.fits"],
        ["jw02734002001_04101_00001-seg001_nrcalong_uncal.fits",
         "jw02734002001_04101_00001-seg002_nrcalong_uncal.fits"], ["y_uncal.fits"]]


def test_clashes_found_before_writing(tmp_path):
    """a/x and b/x map to out/x_ramp.fits: the later unit clashes ("twice"); an existing
    output clashes unless overwriting; an output named like an input would replace it.
    The plan finds them itself (plan_units); find_clashes finds them again alike."""
    a, b = _uncal(tmp_path / "a" / "x_uncal.fits"), _uncal(tmp_path / "b" / "x_uncal.fits")
    units = convert_plan.plan_units([a, b], output_dir=tmp_path / "out")
    clashes = convert_plan.find_clashes(units)
    assert [(c.reason, c.job.inputs, c.other.inputs) for c in clashes] == [
        ("twice", (str(b),), (str(a),))]
    assert units[0].clashes == [] and units[1].clashes == clashes
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x_ramp.fits").write_bytes(b"")
    units = convert_plan.plan_units([a], output_dir=tmp_path / "out")
    assert [c.reason for c in units[0].clashes] == ["exists"]
    assert [c.reason for c in convert_plan.find_clashes(units)] == ["exists"]
    assert convert_plan.find_clashes(units, overwrite=True) == [] and units[0].clashes == []
    units = convert_plan.plan_units([a], output_dir=tmp_path / "out",
                                    options=Options(overwrite=True))
    assert units[0].clashes == []
    odd = _uncal(tmp_path / "c" / "z_ramp.fits")  # an uncal named like its own ramp output
    units = convert_plan.plan_units([odd], output_dir=None, options=Options(overwrite=True))
    assert units[0].problems == []
    assert [c.reason for c in units[0].clashes] == ["input"]
    assert [c.reason for c in convert_plan.find_clashes(units, overwrite=True)] == ["input"]
