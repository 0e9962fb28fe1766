"""TSO segment benchmarks: ramps against the tools users have, on a NIRCam grism TSO
uncal segment (10 groups of 256 x 2048) and its ramp and rateints companions.

Not part of the test run (pyproject's testpaths is ``tests``).  Run with::

    python -m pytest benchmarks --benchmark-only            # small, about a minute
    RAMPS_BENCH_SIZE=large python -m pytest benchmarks --benchmark-only   # 1.99 GB segment

Each group times every route twice: in fresh processes (``_fresh.py``: the page
cache warm, the interpreter new: what a user running a script meets) and warm
in the pytest process.  The first round of every route returns a digest of its
result, and the routes of a group must agree with ramps (``check_same``).  The
data come from ``tso_data.py``; see README.md for how to read the summary.
"""

from __future__ import annotations

import _ramps_bench as rb
import pytest
import tso_data
from _ramps_bench import SIZE, check_same, run_fresh, run_warm, tso_goal, tso_group

LARGE = SIZE == "large"
NINTS = tso_data.nints_for(SIZE)
SHAPE = (NINTS, tso_data.NGROUPS, tso_data.NROWS, tso_data.NCOLS)
N = NINTS * tso_data.NGROUPS * tso_data.NROWS * tso_data.NCOLS
NPIX = tso_data.NROWS * tso_data.NCOLS
K = NINTS // 2  # the integration read lazily
#: stdatamodels (and conversions writing many GB) are slow on the large segment: one
#: round there, and warm in-process only on small data
SLOW = rb.SLOW_ROUNDS if LARGE else None


def _args(tso, **kw):
    return dict(tso.as_dict(), out_shape=list(SHAPE), k=K, dq_shape=[NINTS, *SHAPE[2:]],
                cube=[NINTS, *SHAPE[2:]], **kw)


def _uncal(tso):
    return [(tso.uncal, None)]


def _ramp_dq_ranges(tso):
    """The byte ranges of the ramp's headers, PIXELDQ and GROUPDQ: what DQ routes read."""
    import ramps

    with ramps.open(tso.ramp) as p:
        return [(tso.ramp, [(0, p.hdus[1].data_offset)]
                 + [(p.hdu(n).header_offset, p.hdu(n).header_size + p.hdu(n).data_size)
                    for n in ("PIXELDQ", "GROUPDQ")])]


def _params(cases):
    """Parametrize over (label, role, case, opts); rows with opts["large"] run only in
    large mode, stdatamodels rows only when rb.STDATAMODELS (small mode keeps the
    suite near a minute)."""
    cases = [c for c in cases if (LARGE or not c[3].get("large"))
             and (rb.STDATAMODELS or c[1] != "stdatamodels")]
    return pytest.mark.parametrize("label,role,case,opts", cases, ids=[c[0] for c in cases])


def _run(benchmark, mode, group, label, role, case, args, nbytes, warm, slow=False):
    if mode == "fresh":
        return run_fresh(benchmark, group, label, role, case, args, nbytes,
                         rounds=SLOW if slow else None, warm=warm)
    return run_warm(benchmark, group, label, role, case, args, nbytes,
                    rounds=SLOW if slow else None, warm=warm)


# --------------------------------------------------------------------------- whole SCI

READ = tso_group(
    "read the uncal SCI into float32", "float32 output bytes", out_bytes=4 * N,
    note="floor: allocate + touch the output in a new process; bar: numpy.copyto of the "
         "float32 output into a reused buffer (a memcpy of the result)")
READ_FRESH = [
    ("floor: np.empty + fill (allocate, touch)", "floor", "floor_touch", {}),
    ("floor: np.empty + 2 threads np.copyto(half, 0)", "floor", "floor_touch_2threads", {}),
    ("ramps.open + p.read('SCI', float32)", "ramps", "read_ramps", {}),
    ("numpy on astropy raw memmap: (^0x8000).astype", "numpy", "read_numpy_xor_astype", {}),
    ("numpy on astropy raw memmap: 64Ki blocks", "numpy", "read_numpy_blocked", {}),
    ("astropy fits.open, .data.astype(float32)", "astropy", "read_astropy", {}),
    ("stdatamodels RampModel(path).data", "stdatamodels", "read_stdatamodels", {"slow": 1}),
]
READ_WARM = [
    ("ramps p.read (new array)", "ramps", "read_ramps", {}),
    ("bar: numpy.copyto into reused out", "bar", "copyto_bar", {}),
    ("ramps p.read(out=reused)", "ramps", "read_ramps", {"reuse_out": True}),
    ("numpy on astropy raw memmap: 64Ki blocks, out=reused", "numpy", "read_numpy_blocked",
     {"reuse_out": True}),
    ("numpy on astropy raw memmap: (^0x8000).astype", "numpy", "read_numpy_xor_astype", {}),
    ("astropy fits.open, .data.astype(float32)", "astropy", "read_astropy", {}),
] + ([] if LARGE else [
    ("stdatamodels RampModel(path).data", "stdatamodels", "read_stdatamodels", {})])

tso_goal("warm SCI decode into a reused out= no slower than numpy.copyto (bar)", "faster",
         READ, "ramps p.read(out=reused)", "bar: numpy.copyto into reused out", 1.0, "warm")
tso_goal("fresh whole read within 1.25x of allocate + touch (the faster floor)", "within",
         READ, "ramps.open + p.read('SCI', float32)", "role:floor", 1.25)
tso_goal("fresh whole read >= 2.5x faster than stdatamodels", "faster", READ,
         "ramps.open + p.read('SCI', float32)", "stdatamodels RampModel(path).data", 2.5)
tso_goal("fresh whole read >= 2x faster than astropy", "faster", READ,
         "ramps.open + p.read('SCI', float32)", "astropy fits.open, .data.astype(float32)", 2.0)
tso_goal("fresh whole read >= 1x numpy's best on astropy's raw memmap", "faster", READ,
         "ramps.open + p.read('SCI', float32)", "numpy on astropy raw memmap: 64Ki blocks", 1.0)
tso_goal("fresh whole read peak RSS <= 1.05x the float32 output", "rss_out", READ,
         "ramps.open + p.read('SCI', float32)", None, 1.05)


@_params(READ_FRESH)
def test_read_fresh(benchmark, tso, label, role, case, opts):
    _run(benchmark, "fresh", READ, label, role, case, _args(tso), 4 * N, _uncal(tso),
         slow=opts.get("slow"))
    check_same(rb.TSO_ROWS, READ)


@_params(READ_WARM)
def test_read_warm(benchmark, tso, label, role, case, opts):
    args = _args(tso, reuse_out=opts.get("reuse_out", False))
    _run(benchmark, "warm", READ, label, role, case, args, 4 * N, _uncal(tso))
    check_same(rb.TSO_ROWS, READ)


# --------------------------------------------------------------------------- one integration

INT = tso_group(f"read one integration (k={K}) into float32", "float32 output bytes",
                out_bytes=4 * N // NINTS,
                note="ramps and astropy's section read that integration only; stdatamodels "
                     "reads the whole SCI")
INT_CASES = [
    ("ramps.open + p.sci[k]", "ramps", "int_ramps", {}),
    ("numpy on astropy raw memmap [k]", "numpy", "int_numpy_raw", {}),
    ("astropy fits.open, .section[k].astype", "astropy", "int_astropy_section", {}),
    ("stdatamodels RampModel(path).data[k]", "stdatamodels", "int_stdatamodels",
     {"slow": 1, "large": 1}),
]


@_params(INT_CASES)
def test_integration_fresh(benchmark, tso, label, role, case, opts):
    _run(benchmark, "fresh", INT, label, role, case, _args(tso), 4 * N // NINTS, _uncal(tso),
         slow=opts.get("slow"))
    check_same(rb.TSO_ROWS, INT)


@_params(INT_CASES[:3])
def test_integration_warm(benchmark, tso, label, role, case, opts):
    _run(benchmark, "warm", INT, label, role, case, _args(tso), 4 * N // NINTS, _uncal(tso))
    check_same(rb.TSO_ROWS, INT)


# --------------------------------------------------------------------------- conversion

CONVERT = tso_group(
    "convert uncal -> ramp file", "bytes written (the output file)",
    note="ramps.ops.ramp fsyncs its output before publishing it; so does the bound. "
         "--no-err writes what stdatamodels >= 3 writes (no ERR)")
CONVERT_FRESH = [
    ("ramps.ops.ramp --no-err", "ramps", "convert_ramps", {"no_err": True}),
    ("ramps.ops.ramp (default: with ERR)", "ramps", "convert_ramps", {"slow": 1}),
    ("stdatamodels RampModel(uncal).save(ramp)", "stdatamodels", "convert_stdatamodels",
     {"slow": 1}),
    ("bound: ndarray.tofile + fsync, same bytes", "bound", "write_bound", {"fsync": True}),
    ("ndarray.tofile, same bytes, no fsync", "bound", "write_bound", {}),
]
CONVERT_WARM = [CONVERT_FRESH[0], CONVERT_FRESH[3]]

tso_goal("conversion at >= 50% of the write bound (GB/s)", "gbps_frac", CONVERT,
         "ramps.ops.ramp --no-err", "bound: ndarray.tofile + fsync, same bytes", 0.5)
tso_goal("conversion (warm, in-process) at >= 50% of the write bound (GB/s)", "gbps_frac",
         CONVERT, "ramps.ops.ramp --no-err", "bound: ndarray.tofile + fsync, same bytes", 0.5,
         "warm")
tso_goal("conversion peak RSS < 512 MB", "rss_below", CONVERT, "ramps.ops.ramp --no-err",
         None, 512e6)
tso_goal("conversion (with ERR) peak RSS < 512 MB", "rss_below", CONVERT,
         "ramps.ops.ramp (default: with ERR)", None, 512e6)


def _convert_args(tso, opts):
    from ramps.ops.ramp import ramp_name

    out_dir = tso.scratch / "convert"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / ramp_name(tso.uncal)
    # the bound writes as many bytes as ramps.ops.ramp --no-err does (the ramp companion
    # has that layout); the no-ERR ramp of stdatamodels is the same size too
    return _args(tso, out_dir=str(out_dir), out_path=str(out), nbytes=tso.ramp.stat().st_size,
                 **{k: v for k, v in opts.items() if k != "slow"})


@_params(CONVERT_FRESH)
def test_convert_fresh(benchmark, tso, label, role, case, opts):
    args = _convert_args(tso, opts)
    args["check_ramp"] = case != "write_bound"  # the output holds the uncal's counts
    slow = opts.get("slow") or (LARGE and role not in ("ramps", "bound"))
    _run(benchmark, "fresh", CONVERT, label, role, case, args, None, _uncal(tso), slow=slow)


@_params(CONVERT_WARM)
def test_convert_warm(benchmark, tso, label, role, case, opts):
    args = _convert_args(tso, opts)
    args["check_ramp"] = case != "write_bound"
    _run(benchmark, "warm", CONVERT, label, role, case, args, None, _uncal(tso), slow=LARGE)


# --------------------------------------------------------------------------- DQ and ERR

DQ_OUT = 4 * NINTS * NPIX
DQ = {rules: tso_group(f"combine DQ of the ramp, rules={rules!r}", "uint32 DQ output bytes",
                       out_bytes=DQ_OUT,
                       note="PIXELDQ | the GROUPDQ groups combined, per integration; "
                            "numpy reads astropy's memory maps")
      for rules in ("or", "stcal")}
DQ_FRESH = [
    ("ramps.combine_dq(path)", "ramps", "dq_ramps", {}),
    ("numpy best (uint64 SWAR, cache blocks)", "numpy", "dq_numpy_best", {}),
    ("numpy obvious (astropy .data, reduce)", "numpy", "dq_numpy_obvious", {"large": 1}),
]
DQ_WARM = [
    ("ramps.combine_dq(path)", "ramps", "dq_ramps", {}),
    ("ramps.combine_dq(path, out=reused)", "ramps", "dq_ramps", {"reuse_out": True}),
    ("numpy best, out=reused", "numpy", "dq_numpy_best", {"reuse_out": True}),
    ("numpy obvious (astropy .data, reduce)", "numpy", "dq_numpy_obvious", {}),
    ("ramps, product kept open, out=reused", "ramps", "dq_ramps_open", {}),
    ("numpy best, memmaps kept open, out=reused", "numpy", "dq_numpy_best_open", {}),
]
for _rules, _g in DQ.items():
    tso_goal(f"DQ combine {_rules!r} (fresh) >= 2x numpy's best", "faster", _g,
             "ramps.combine_dq(path)", "numpy best (uint64 SWAR, cache blocks)", 2.0)
    tso_goal(f"DQ combine {_rules!r} (warm, out=) >= 2x numpy's best", "faster", _g,
             "ramps.combine_dq(path, out=reused)", "numpy best, out=reused", 2.0, "warm")
    tso_goal(f"DQ combine {_rules!r} (warm, file kept open, out=) >= 2x numpy's best", "faster",
             _g, "ramps, product kept open, out=reused",
             "numpy best, memmaps kept open, out=reused", 2.0, "warm")


@pytest.mark.parametrize("rules", ["or", "stcal"])
@_params(DQ_FRESH)
def test_dq_fresh(benchmark, tso, rules, label, role, case, opts):
    _run(benchmark, "fresh", DQ[rules], label, role, case, _args(tso, rules=rules), DQ_OUT,
         _ramp_dq_ranges(tso))
    check_same(rb.TSO_ROWS, DQ[rules])


@pytest.mark.parametrize("rules", ["or", "stcal"])
@_params(DQ_WARM)
def test_dq_warm(benchmark, tso, rules, label, role, case, opts):
    args = _args(tso, rules=rules, reuse_out=opts.get("reuse_out", False))
    _run(benchmark, "warm", DQ[rules], label, role, case, args, DQ_OUT, _ramp_dq_ranges(tso))
    check_same(rb.TSO_ROWS, DQ[rules])


ERR_OUT = 4 * NINTS * NPIX
ERR = tso_group("recompute ERR of the rateints", "float32 ERR output bytes", out_bytes=ERR_OUT,
                note="sqrt(VAR_POISSON + VAR_RNOISE), big-endian in the file")
ERR_FRESH = [
    ("ramps.recompute_err(path)", "ramps", "err_ramps", {}),
    ("numpy best (add/sqrt on 64Ki blocks of the memmaps)", "numpy", "err_numpy_best", {}),
    ("numpy obvious: sqrt(a + b) on astropy .data", "numpy", "err_numpy_obvious", {"large": 1}),
]
ERR_WARM = [
    ERR_FRESH[0],
    ("ramps.recompute_err(path, out=reused)", "ramps", "err_ramps", {"reuse_out": True}),
    ("numpy best, out=reused", "numpy", "err_numpy_best", {"reuse_out": True}),
    ("numpy obvious: sqrt(a + b) on astropy .data", "numpy", "err_numpy_obvious", {}),
    ("ramps, product kept open, out=reused", "ramps", "err_ramps_open", {}),
    ("numpy best, memmaps kept open, out=reused", "numpy", "err_numpy_best_open", {}),
]
tso_goal("ERR recompute (fresh) >= 2x numpy's best", "faster", ERR, "ramps.recompute_err(path)",
         "numpy best (add/sqrt on 64Ki blocks of the memmaps)", 2.0)
tso_goal("ERR recompute (warm, out=) >= 2x numpy's best", "faster", ERR,
         "ramps.recompute_err(path, out=reused)", "numpy best, out=reused", 2.0, "warm")
tso_goal("ERR recompute (warm, file kept open, out=) >= 2x numpy's best", "faster", ERR,
         "ramps, product kept open, out=reused", "numpy best, memmaps kept open, out=reused",
         2.0, "warm")


@_params(ERR_FRESH)
def test_err_fresh(benchmark, tso, label, role, case, opts):
    _run(benchmark, "fresh", ERR, label, role, case, _args(tso), ERR_OUT,
         [(tso.rateints, None)])
    check_same(rb.TSO_ROWS, ERR)


@_params(ERR_WARM)
def test_err_warm(benchmark, tso, label, role, case, opts):
    args = _args(tso, reuse_out=opts.get("reuse_out", False))
    _run(benchmark, "warm", ERR, label, role, case, args, ERR_OUT, [(tso.rateints, None)])
    check_same(rb.TSO_ROWS, ERR)


# --------------------------------------------------------------------------- writing, DATASUM

WRITE = tso_group(
    "write a calints of the segment (SCI, ERR, DQ, VAR_POISSON, VAR_RNOISE, VAR_FLAT)",
    "bytes written (the output file)",
    note="ramps.write fsyncs (atomic publish); astropy's writeto does not, so astropy + fsync "
         "is shown too. Arrays are built before the timing")
WRITE_CASES = [
    ("ramps.write(calints)", "ramps", "write_ramps", {}),
    ("ramps.write(calints, checksum=True)", "ramps", "write_ramps",
     {"checksum": True, "large": 1}),
    ("astropy HDUList.writeto", "astropy", "write_astropy", {}),
    ("astropy HDUList.writeto + fsync", "astropy", "write_astropy", {"fsync": True}),
    ("astropy HDUList.writeto(checksum=True)", "astropy", "write_astropy",
     {"checksum": True, "large": 1}),
    ("bound: ndarray.tofile + fsync, same bytes", "bound", "write_bound", {"fsync": True}),
]
CAL_BYTES = 24 * NINTS * NPIX  # six 4-byte arrays


def _write_args(tso, opts):
    return _args(tso, out_path=str(tso.scratch / "bench_calints.fits"), nbytes=CAL_BYTES,
                 **{k: v for k, v in opts.items() if k != "large"})


@_params(WRITE_CASES)
def test_write_fresh(benchmark, tso, label, role, case, opts):
    _run(benchmark, "fresh", WRITE, label, role, case, _write_args(tso, opts), None, (),
         slow=opts.get("slow"))


@_params(WRITE_CASES)
def test_write_warm(benchmark, tso, label, role, case, opts):
    _run(benchmark, "warm", WRITE, label, role, case, _write_args(tso, opts), None, ())


DATASUM = tso_group("DATASUM of the uncal SCI data unit", "bytes summed",
                    out_bytes=None,
                    note="ramps: the C kernel over its memory map of the data unit; "
                         "astropy: fits.open(checksum=True) verifies each HDU it loads "
                         "(here PRIMARY and SCI)")
DATASUM_CASES = [
    ("ramps p.datasum('SCI')", "ramps", "datasum_ramps", {}),
    ("ramps p.verify_checksums(): every HDU", "ramps", "datasum_ramps_verify", {}),
    ("astropy fits.open(checksum=True)", "astropy", "datasum_astropy", {}),
]


@_params(DATASUM_CASES)
def test_datasum_fresh(benchmark, tso, label, role, case, opts):
    _run(benchmark, "fresh", DATASUM, label, role, case, _args(tso), 2 * N, _uncal(tso))
    rows = [r for r in rb.TSO_ROWS if r.group == DATASUM and r.digest]
    assert len({r.digest["value"] for r in rows}) == 1, [r.digest for r in rows]


@_params(DATASUM_CASES)
def test_datasum_warm(benchmark, tso, label, role, case, opts):
    _run(benchmark, "warm", DATASUM, label, role, case, _args(tso), 2 * N, _uncal(tso))
    rows = [r for r in rb.TSO_ROWS if r.group == DATASUM and r.digest]
    assert len({r.digest["value"] for r in rows}) == 1, [r.digest for r in rows]
