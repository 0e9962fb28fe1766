"""Data models through ramps (ramps.open_model, ramps.save) against stdatamodels.

* open: the TSO uncal as a RampModel, fresh processes: ramps.open_model(path,
  'RampModel'), datamodels.RampModel(path), an empty RampModel() (stdatamodels'
  fixed cost of a process's first model: schema loading) and ramps' own whole
  read of the SCI (p.read float32).  The issue's bar: open_model <= empty
  RampModel() + 1.3 x ramps' read, and >= 2x faster than RampModel(path) on a
  500 MB uncal and on the 1.9 GB TSO segment: in large mode both are timed (the
  segment and tso_data.ensure_mid_uncal's 47 integrations, 493 MB), in small
  mode the 52 MB segment only.
* save: the MOS cal (300 slits, 2,102 HDUs) opened by datamodels.open (untimed),
  then ramps.save vs model.save.  Bar: >= 20x faster.  stdatamodels' save of 300
  slits takes minutes: it runs in large mode or with RAMPS_BENCH_STDATAMODELS=1,
  else on the 20-slit file.
* Roman (roman_bench.make_files: level 1 of 3 x 1024 x 1024 uint16 by default,
  10 x 4096 x 4096 in large mode; level 2 image 1022^2 / 4088^2, both lz4 as
  roman_datamodels saves): ramps.open_model(l1) vs roman_datamodels.open(l1),
  every array touched in both, beside the reference's fixed cost (asdf's
  extensions + an empty model) and ramps' own read; ramps.save vs model.save of
  the level 2 image (arrays loaded, untimed).

Run with ``python -m pytest benchmarks/test_models_bench.py --benchmark-only``.
"""

from __future__ import annotations

import math

import _model_cases  # noqa: F401  (registers the routes)
import _ramps_bench as rb
import pytest
import tso_data
from _ramps_bench import SIZE, check_same, run_fresh, tso_goal, tso_group

LARGE = SIZE == "large"
FULL_MOS = LARGE or rb.STDATAMODELS

_MB = tso_data.NGROUPS * tso_data.NROWS * tso_data.NCOLS * 2 / 1e6  # uncal MB per integration
#: (which file, group label): the segment, and in large mode the ~500 MB uncal too
UNCALS = [("uncal", f"the {tso_data.nints_for(SIZE) * _MB:.0f} MB TSO uncal segment")] + (
    [("uncal_mid", f"a {tso_data.MID_NINTS * _MB:.0f} MB uncal")] if LARGE else [])
OPEN = {which: tso_group(f"open {label} as a RampModel (fresh process)",
                         "float32 SCI of the model", note="open_model <= empty RampModel() + "
                         "1.3 x ramps' read is the issue's bar; empty RampModel() returns no "
                         "array", order=2) for which, label in UNCALS}
SAVE = tso_group(f"save a MOS cal model ({tso_data.MOS_SLITS if FULL_MOS else tso_data.MOS_FEW}"
                 " slits) opened by stdatamodels", "bytes written (the output file)",
                 note="the model opened by datamodels.open, untimed; both write the same file",
                 order=2)

OPEN_CASES = [
    ("ramps.open_model(uncal, 'RampModel')", "ramps", "model_open_ramps"),
    ("datamodels.RampModel(uncal)", "stdatamodels", "model_open_stdatamodels"),
    ("empty datamodels.RampModel()", "stdatamodels", "model_empty_stdatamodels"),
    ("ramps.open + p.read('SCI', float32)", "ramps-read", "read_ramps"),
]
SAVE_CASES = [
    ("ramps.save(model, path)", "ramps", "model_save_ramps"),
    ("model.save(path)", "stdatamodels", "model_save_stdatamodels"),
]
for _which, _label in UNCALS:
    tso_goal(f"open_model of {_label} as RampModel >= 2x faster than RampModel(path)",
             "faster", OPEN[_which], OPEN_CASES[0][0], OPEN_CASES[1][0], 2.0)
    tso_goal(f"open_model of {_label} <= empty RampModel() + 1.3 x ramps' read",
             "fixed_plus", OPEN[_which], OPEN_CASES[0][0], (OPEN_CASES[2][0],
                                                             OPEN_CASES[3][0]), 1.3)
    tso_goal(f"open_model of {_label}: peak RSS above an empty RampModel()'s <= 1.1x the "
             f"float32 SCI", "rss_over", OPEN[_which], OPEN_CASES[0][0], OPEN_CASES[2][0], 1.1)
tso_goal("save of the MOS cal model >= 20x faster than model.save", "faster", SAVE,
         SAVE_CASES[0][0], SAVE_CASES[1][0], 20.0)


@pytest.mark.parametrize("which", [u[0] for u in UNCALS])
@pytest.mark.parametrize("label,role,case", OPEN_CASES, ids=[c[0] for c in OPEN_CASES])
def test_open_model_fresh(benchmark, tso, which, label, role, case):
    if which == "uncal_mid":
        path, nints = tso_data.ensure_mid_uncal(tso), tso_data.MID_NINTS
    else:
        path, nints = tso.uncal, tso.nints
    shape = [nints, *tso.plane]
    args = dict(tso.as_dict(), uncal=str(path), out_shape=shape)
    slow = role == "stdatamodels"
    run_fresh(benchmark, OPEN[which], label, role, case, args, math.prod(shape) * 4,
              rounds=rb.SLOW_ROUNDS if slow else None, warm=[(path, None)])
    check_same(rb.TSO_ROWS, OPEN[which])


@pytest.mark.parametrize("label,role,case", SAVE_CASES, ids=[c[0] for c in SAVE_CASES])
def test_save_model_fresh(benchmark, tso, label, role, case):
    path = tso.mos if FULL_MOS else tso.mos_few
    args = dict(tso.as_dict(), mos_path=str(path),
                out_path=str(tso.scratch / f"bench_model_{role}_cal.fits"))
    run_fresh(benchmark, SAVE, label, role, case, args, None,
              rounds=rb.SLOW_ROUNDS if role == "stdatamodels" else None, warm=[(path, None)])


# --------------------------------------------------------------------------- Roman
ROMAN_OPEN = tso_group("open a Roman level 1 file as a ScienceRawModel (fresh process)",
                       "every array of the model", note="every array touched; the fixed "
                       "cost row returns no array", order=2)
ROMAN_SAVE = tso_group("save a Roman level 2 ImageModel (lz4)", "bytes written (the output "
                       "file)", note="the model opened by roman_datamodels.open, arrays "
                       "loaded, untimed", order=2)
ROMAN_OPEN_CASES = [
    ("ramps.open_model(l1)", "ramps", "roman_open_ramps"),
    ("roman_datamodels.open(l1) + arrays", "roman_datamodels", "roman_open_rdm"),
    ("asdf.AsdfFile() + empty ScienceRawModel()", "roman_datamodels-fixed", "roman_empty_rdm"),
    ("ramps.open + p.read every array", "ramps-read", "roman_read_ramps"),
]
ROMAN_SAVE_CASES = [
    ("ramps.save(model, path)", "ramps", "roman_save_ramps"),
    ("model.save(path)", "roman_datamodels", "roman_save_rdm"),
]
tso_goal("open_model of a Roman l1 faster than roman_datamodels.open + arrays", "faster",
         ROMAN_OPEN, ROMAN_OPEN_CASES[0][0], ROMAN_OPEN_CASES[1][0], 1.0)
tso_goal("save of a Roman l2 model faster than model.save", "faster", ROMAN_SAVE,
         ROMAN_SAVE_CASES[0][0], ROMAN_SAVE_CASES[1][0], 1.0)


@pytest.fixture(scope="session")
def roman_files(tso):
    """(l1, l2) made once by roman_datamodels (roman_bench.make_files)."""
    import roman_bench

    return roman_bench.make_files(small=not LARGE)


@pytest.mark.parametrize("label,role,case", ROMAN_OPEN_CASES,
                         ids=[c[0] for c in ROMAN_OPEN_CASES])
def test_roman_open_model_fresh(benchmark, tso, roman_files, label, role, case):
    l1, l2 = roman_files
    args = dict(tso.as_dict(), roman_l1=l1, roman_l2=l2)
    run_fresh(benchmark, ROMAN_OPEN, label, role, case, args, None, warm=[(l1, None)])
    check_same(rb.TSO_ROWS, ROMAN_OPEN)


@pytest.mark.parametrize("label,role,case", ROMAN_SAVE_CASES,
                         ids=[c[0] for c in ROMAN_SAVE_CASES])
def test_roman_save_model_fresh(benchmark, tso, roman_files, label, role, case):
    l1, l2 = roman_files
    args = dict(tso.as_dict(), roman_l1=l1, roman_l2=l2,
                out_path=str(tso.scratch / f"bench_roman_{role}_cal.asdf"))
    run_fresh(benchmark, ROMAN_SAVE, label, role, case, args, None, warm=[(l2, None)])
