"""Many-extension products: a NIRSpec MOS cal of 300 slits x 7 arrays (2,102 HDUs),
opened with every SCI read, and written, by ramps, astropy and stdatamodels.

stdatamodels needs 15-100 s per route on 300 slits, so it runs once, in large mode
only; with RAMPS_BENCH_STDATAMODELS=1, small mode compares all three on a 20-slit
file instead (``tso_data.MOS_FEW``).  Small mode times astropy warm on 300 slits
in large mode only (3-4 s a call).
Run with ``python -m pytest benchmarks --benchmark-only`` (see README.md).
"""

from __future__ import annotations

import _ramps_bench as rb
import pytest
import tso_data
from _ramps_bench import SIZE, check_same, run_fresh, run_warm, tso_goal, tso_group

LARGE = SIZE == "large"
SCI_BYTES = 4 * tso_data.MOS_SHAPE[0] * tso_data.MOS_SHAPE[1]


def _hdus(n):
    return 2 + len(tso_data.MOS_NAMES) * n


READ = tso_group(
    f"open a MOS cal ({tso_data.MOS_SLITS} slits, {_hdus(tso_data.MOS_SLITS):,} HDUs), read "
    "every SCI", "SCI bytes handed out", out_bytes=tso_data.MOS_SLITS * SCI_BYTES,
    note="ramps p['SCI', v] and astropy .data are read-only views of the big-endian data "
         "(memory maps); stdatamodels: datamodels.open + every slit's .data", order=1)
READ_FEW = tso_group(
    f"open a MOS cal ({tso_data.MOS_FEW} slits, {_hdus(tso_data.MOS_FEW)} HDUs), read every "
    "SCI", "SCI bytes handed out", out_bytes=tso_data.MOS_FEW * SCI_BYTES,
    note="the small-mode stand-in for stdatamodels on 300 slits", order=1)
WRITE = tso_group(
    f"write a MOS cal ({tso_data.MOS_SLITS} slits, {_hdus(tso_data.MOS_SLITS):,} HDUs)",
    "bytes written (the output file)",
    note="ramps.write(path, 'cal', {(name, ver): array}, meta=...) (fsyncs; writes the ASDF "
         "extension too); astropy: build the HDUList + writeto; stdatamodels: build the "
         "MultiSlitModel + save", order=1)
WRITE_FEW = tso_group(f"write a MOS cal ({tso_data.MOS_FEW} slits, {_hdus(tso_data.MOS_FEW)} "
                      "HDUs)", "bytes written (the output file)",
                      note="the small-mode stand-in for stdatamodels on 300 slits", order=1)

READ_CASES = [
    ("ramps.open + p['SCI', v] for every v", "ramps", "mos_read_ramps", {}),
    ("astropy fits.open + .data of every SCI HDU", "astropy", "mos_read_astropy_iter", {}),
    # O(n^2): astropy looks every (name, ver) up from the start (6 s on 300 slits)
    ("astropy fits.open + h['SCI', v].data", "astropy", "mos_read_astropy_index", {"large": 1}),
]
STDM_READ = ("stdatamodels datamodels.open + every slit's .data", "stdatamodels",
             "mos_read_stdatamodels", {})
READ_WARM = [READ_CASES[0], READ_CASES[1][:3] + ({"large": 1},)]  # astropy: 3 s a call
WRITE_CASES = [
    ("ramps.write(path, 'cal', arrays, meta=...)", "ramps", "mos_write_ramps", {}),
    ("astropy HDUList(...).writeto", "astropy", "mos_write_astropy", {}),
]
WRITE_WARM = [WRITE_CASES[0], WRITE_CASES[1][:3] + ({"large": 1},)]  # astropy: 4 s a call
STDM_WRITE = ("stdatamodels MultiSlitModel(...).save", "stdatamodels", "mos_write_stdatamodels",
              {})

FEW = not LARGE and rb.STDATAMODELS  # the 20-slit stand-in groups run
for _g, _n in ((READ, tso_data.MOS_SLITS),) + (((READ_FEW, tso_data.MOS_FEW),) if FEW else ()):
    for _mode in ("fresh", "warm"):
        tso_goal(f"MOS cal ({_n} slits): open + every SCI <= 1/3 of astropy's best time "
                 f"({_mode})", "faster", _g, READ_CASES[0][0], "role:astropy", 3.0, _mode)
for _mode in ("fresh", "warm"):
    tso_goal(f"MOS cal write (300 slits) < 1 s ({_mode})", "seconds", WRITE, WRITE_CASES[0][0],
             None, 1.0, _mode)


def _params(cases):
    """Parametrize over (label, role, case, opts); rows with opts["large"] run only in
    large mode on the 300-slit file (small mode keeps the suite near a minute)."""
    cases = [c for c in cases if LARGE or not c[3].get("large")]
    return pytest.mark.parametrize("label,role,case,opts", cases, ids=[c[0] for c in cases])


def _args(tso, few=False, **kw):
    n = tso_data.MOS_FEW if few else tso_data.MOS_SLITS
    return dict(tso.as_dict(), nslits=n, mos_path=str(tso.mos_few if few else tso.mos), **kw)


def _warm(tso, few=False):
    return [(tso.mos_few if few else tso.mos, None)]


def _read(benchmark, tso, mode, few, label, role, case):
    group = READ_FEW if few else READ
    slow = role == "stdatamodels"
    args = _args(tso, few)
    run = run_fresh if mode == "fresh" else run_warm
    run(benchmark, group, label, role, case, args, args["nslits"] * SCI_BYTES,
        rounds=rb.SLOW_ROUNDS if slow else None, warm=_warm(tso, few))
    check_same(rb.TSO_ROWS, group)


@_params(READ_CASES + ([STDM_READ] if LARGE else []))
def test_mos_read_fresh(benchmark, tso, label, role, case, opts):
    _read(benchmark, tso, "fresh", False, label, role, case)


@_params(READ_WARM)
def test_mos_read_warm(benchmark, tso, label, role, case, opts):
    _read(benchmark, tso, "warm", False, label, role, case)


def _few(cases):
    """(mode, label, role, case, opts) for the 20-slit groups: every route fresh, and
    warm too except stdatamodels (seconds a call)."""
    rows = [("fresh",) + c for c in cases]
    rows += [("warm",) + c for c in cases if c[1] != "stdatamodels"]
    return pytest.mark.parametrize("mode,label,role,case,opts", rows,
                                   ids=[f"{r[0]}-{r[1]}" for r in rows])


# The 20-slit groups exist only where they are measured (small mode with
# RAMPS_BENCH_STDATAMODELS=1): defined, not skipped, elsewhere.
if FEW:
    @_few(READ_CASES + [STDM_READ])
    def test_mos_read_few(benchmark, tso, mode, label, role, case, opts):
        _read(benchmark, tso, mode, True, label, role, case)


def _write(benchmark, tso, mode, few, label, role, case):
    group = WRITE_FEW if few else WRITE
    slow = role == "stdatamodels"
    args = _args(tso, few, out_path=str(tso.scratch / "bench_mos_cal.fits"))
    run = run_fresh if mode == "fresh" else run_warm
    run(benchmark, group, label, role, case, args, None,
        rounds=rb.SLOW_ROUNDS if slow else None)


# small mode: astropy's fresh MOS write (4 s) is timed in large mode only, like warm
@_params(WRITE_CASES + [STDM_WRITE] if LARGE else WRITE_WARM)
def test_mos_write_fresh(benchmark, tso, label, role, case, opts):
    _write(benchmark, tso, "fresh", False, label, role, case)


@_params(WRITE_WARM)
def test_mos_write_warm(benchmark, tso, label, role, case, opts):
    _write(benchmark, tso, "warm", False, label, role, case)


if FEW:
    @_few(WRITE_CASES + [STDM_WRITE])
    def test_mos_write_few(benchmark, tso, mode, label, role, case, opts):
        _write(benchmark, tso, mode, True, label, role, case)
