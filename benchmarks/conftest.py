"""pytest hooks and fixtures of the benchmarks; the machinery lives in _ramps_bench.py.

Run with ``pytest benchmarks --benchmark-only`` (``RAMPS_BENCH_SIZE=large`` for
a realistic NIRCam TSO block and a full-size TSO segment); see README.md.
"""

from __future__ import annotations

import os
import sys

import pytest

# the benchmark modules import the shared machinery as a plain module
sys.path.insert(0, os.path.dirname(__file__))

import _ramps_bench as rb  # noqa: E402


def pytest_report_header(config):
    import tso_data

    from ramps import kernels

    return (f"ramps benchmarks: RAMPS_BENCH_SIZE={rb.SIZE} "
            f"kernel shape(nints, ngroups, ny, nx)={rb.SHAPE} rounds={rb.ROUNDS}; "
            f"TSO segment {tso_data.nints_for(rb.SIZE)} x {tso_data.NGROUPS} x "
            f"{tso_data.NROWS} x {tso_data.NCOLS} in {tso_data.data_dir(rb.SIZE)}, "
            f"rounds fresh={rb.FRESH_ROUNDS} warm={rb.WARM_ROUNDS} slow={rb.SLOW_ROUNDS}; "
            f"openmp={kernels.have_openmp()} cpus={os.cpu_count()}")


@pytest.fixture(scope="session")
def tso(request):
    """The TSO benchmark files (generated on first use, reused afterwards)."""
    import tso_data

    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        d = tso_data.ensure(rb.SIZE, log=lambda m: print(m, file=sys.stderr, flush=True))
    rb.TSO_DATA.update(d.as_dict())
    return d


def pytest_configure(config):
    # A compact pytest-benchmark table unless the user asked for other columns.
    opt = config.option
    if getattr(opt, "benchmark_columns", None) == [
        "min", "max", "mean", "stddev", "median", "iqr", "outliers", "ops", "rounds", "iterations"
    ]:
        opt.benchmark_columns = ["min", "median", "rounds"]


def pytest_sessionstart(session):
    rb.LOAD["start"] = rb.loadavg()


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # after pytest-benchmark's own tables: one table per group with ratios
    kernels = any(r.rounds for r in rb.ROWS)
    if kernels:
        for line in rb.summary_lines():
            terminalreporter.write_line(line)
    if rb.TSO_ROWS:
        for line in rb.tso_summary_lines():
            terminalreporter.write_line(line)
    if kernels or rb.TSO_ROWS:  # nothing timed with --benchmark-disable
        terminalreporter.write_line("")
        terminalreporter.write_line(f"results written to {rb.write_json()}")
