"""Shared by the tests of ramps.convert: test_cli's input makers as a plain module, and one
dask.distributed LocalCluster for the session (starting one costs seconds), as
``--scheduler local:2`` makes it, whose workers stamp every file with one fixed time.

The files hold the time they were written (DATE, meta.date): the workers and the serial
run (``serial_clock``) are given one fixed clock (``_now_isot`` of the FITS writer) so
that whole files can be compared byte for byte (the function lives in ramps.fits.write
here, in ramps.fits.layout after the writer's split: ``clock_module`` finds it)."""

from __future__ import annotations

import importlib
import os
import sys

import pytest
from distributed.diagnostics.plugin import WorkerPlugin

# test_distributed and test_job import the uncal makers of test_cli as a plain module
sys.path.insert(0, os.path.dirname(__file__))

CLOCK = "2026-01-02T03:04:05.678"


def clock_module():
    """The module whose _now_isot stamps DATE and meta.date on every file ramps writes."""
    for name in ("ramps.fits.layout", "ramps.fits.write"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "_now_isot"):
            return module
    raise AssertionError("no _now_isot in ramps.fits.layout or ramps.fits.write")


class FixedClock(WorkerPlugin):
    """Every file a worker writes says it was written at CLOCK."""

    def setup(self, worker):
        w = clock_module()
        self.original, w._now_isot = w._now_isot, lambda: CLOCK

    def teardown(self, worker):
        clock_module()._now_isot = self.original


@pytest.fixture(scope="session")
def cluster():
    """(scheduler address, client) of a LocalCluster of 2 one-thread workers with the fixed
    clock in every worker (and in workers that replace dead ones)."""
    import cloudpickle
    import distributed

    from ramps.convert import distributed as distributed_convert

    here = sys.modules[__name__]
    cloudpickle.register_pickle_by_value(here)  # the workers cannot import this conftest
    c = distributed_convert.local_cluster(2)
    client = distributed.Client(c, set_as_default=False)
    client.register_plugin(FixedClock(), name="ramps-test-clock")
    yield c.scheduler_address, client
    client.close()
    c.close()
    cloudpickle.unregister_pickle_by_value(here)


@pytest.fixture
def serial_clock(monkeypatch):
    """This process's files stamped at CLOCK, as the cluster's workers stamp theirs."""
    monkeypatch.setattr(clock_module(), "_now_isot", lambda: CLOCK)
