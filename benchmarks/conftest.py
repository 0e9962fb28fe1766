"""pytest hooks of the kernel benchmarks; the machinery lives in _ramps_bench.py.

Run with ``pytest benchmarks --benchmark-only`` (``RAMPS_BENCH_SIZE=large`` for
a realistic NIRCam TSO block); see README.md.
"""

from __future__ import annotations

import os
import sys

import pytest

# the benchmark modules import the shared machinery as a plain module
sys.path.insert(0, os.path.dirname(__file__))

import _ramps_bench as rb  # noqa: E402


def pytest_report_header(config):
    from ramps import kernels

    return (f"ramps benchmarks: RAMPS_BENCH_SIZE={rb.SIZE} "
            f"shape(nints, ngroups, ny, nx)={rb.SHAPE} rounds={rb.ROUNDS} "
            f"openmp={kernels.have_openmp()} cpus={os.cpu_count()}")


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
    if not any(r.rounds for r in rb.ROWS):  # nothing timed (--benchmark-disable)
        return
    for line in rb.summary_lines():
        terminalreporter.write_line(line)
