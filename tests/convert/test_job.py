"""The one job model of ramps.convert (ramps.convert.job): the plan's jobs are plain,
picklable values, and run_job writes the same file whether the serial command calls it in
its own process or a task runs it on a dask.distributed worker (the session's
LocalCluster, conftest.py; both sides write at one fixed clock)."""

from __future__ import annotations

import dataclasses
import os
import pickle
from pathlib import Path

import numpy as np
from astropy.io import fits

from ramps.convert.job import Integrations, Job, Options, run_job
from ramps.convert.plan import plan_units
from ramps.fits.write import write
from test_cli import NAME, counts, write_uncal

PRODUCT = "jw01234001001_01101_00001_nrcalong_{}.fits"


def _inputs(folder: Path) -> dict[str, list[Path]]:
    """An exposure in two segments and a file of its own (uncal), a ramp with the rateints
    beside it, a rateints with variances, a cal (each a JWST product with its ASDF tree)."""
    folder.mkdir()
    data = counts(5, seed=1)
    segments = []
    for k, (s, n) in enumerate([(1, 3), (4, 2)], 1):
        segments.append(write_uncal(folder / NAME.format(seg=f"-seg{k:03d}", kind="uncal"),
                                    data[s - 1:s - 1 + n], seg=(k, 2, s), nints_total=5))
    lone = write_uncal(folder / "jw02734002002_04101_00001_nrcalong_uncal.fits",
                       counts(2, seed=2))
    rng = np.random.default_rng(9)
    nints, ngroups, ny, nx = 2, 4, 8, 10
    meta = {"meta": {"exposure": {"nints": nints, "ngroups": ngroups}}}
    ramp = write(folder / PRODUCT.format("ramp"), "ramp",
                 {"SCI": rng.random((nints, ngroups, ny, nx), dtype=np.float32),
                  "PIXELDQ": rng.integers(0, 4, (ny, nx), dtype=np.uint32),
                  "GROUPDQ": rng.integers(0, 8, (nints, ngroups, ny, nx), dtype=np.uint8)},
                 meta=meta)
    f = rng.random((nints, ny, nx), dtype=np.float32)
    rateints = write(folder / PRODUCT.format("rateints"), "rateints",
                     {"SCI": f, "ERR": f, "DQ": np.zeros((nints, ny, nx), np.uint32),
                      "VAR_POISSON": f, "VAR_RNOISE": f * 2}, meta=meta)
    v = rng.random((6, 7), dtype=np.float32)
    cal = write(folder / "jw01234001001_01101_00002_nrcalong_cal.fits", "cal",
                {"SCI": v, "ERR": np.zeros_like(v), "DQ": np.zeros((6, 7), np.uint32),
                 "VAR_POISSON": v, "VAR_RNOISE": v / 2, "VAR_FLAT": v / 4})
    return {"segments": segments, "lone": [lone], "ramp": [ramp], "rateints": [rateints],
            "cal": [cal]}


def _plan(paths, out: Path, **kw) -> list[Job]:
    units = plan_units(paths, output_dir=out, options=Options(threads=1), **kw)
    assert [(u.problems, u.clashes) for u in units] == [([], [])] * len(units)
    return [job for u in units for job in u.jobs]


def _jobs(given: dict[str, list[Path]], out: Path) -> list[Job]:
    """Every kind of job, each planned group into a folder of its own under ``out``."""
    uncal = given["segments"] + given["lone"]
    return (_plan(uncal, out / "each")  # a file of its own each (segments keep their place)
            + _plan(given["segments"], out / "merged", merge=True)
            + _plan(given["segments"], out / "split", max_segment_bytes=186368 + 2 * 1536 * 5)
            + _plan(given["ramp"], out / "dq", combine_dq=True, into=given["rateints"][0])
            + _plan(given["rateints"], out / "err", recompute_err=True)
            + _plan(given["cal"], out / "asdf", to="asdf"))


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_jobs_are_plain_values(tmp_path):
    """No open file in a job: it pickles to an equal job, and hashes (frozen)."""
    jobs = _jobs(_inputs(tmp_path / "in"), tmp_path / "out")
    assert {j.action for j in jobs} == {"ramp", "combine_dq", "recompute_err", "to_asdf"}
    ramps_ = [j for j in jobs if j.action == "ramp"]
    assert [(j.ramp.alone, j.ramp.segment) for j in ramps_[:3]] == [
        (True, (1, 2)), (True, (2, 2)), (True, None)]
    assert [(j.ramp.alone, j.ramp.start, j.ramp.end, len(j.inputs)) for j in ramps_[3:5]] == [
        (False, 0, 5, 2), (False, 0, 2, 1)]
    for job in jobs:
        assert pickle.loads(pickle.dumps(job)) == job and hash(job) == hash(job)


def test_resolved_paths_are_absolute_except_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    job = Job("ramp", ("in/x_uncal.fits",), Path("out/x_ramp.fits"),
              ramp=Integrations(("in/x_uncal.fits",), 0, 1, None))
    sent = job.resolved()
    assert sent.inputs == (str(tmp_path / "in" / "x_uncal.fits"),)
    assert sent.ramp.exposure == sent.inputs and sent.output == tmp_path / "out" / "x_ramp.fits"
    url = Job("to_asdf", ("s3://bucket/x_cal.fits",), Path("x_cal.asdf")).resolved()
    assert url.inputs == ("s3://bucket/x_cal.fits",) and url.output.is_absolute()


def test_serial_and_cluster_runs_write_the_same_files(tmp_path, cluster, serial_clock):
    """The jobs planned for two folders, run by run_job here (with progress: the ramp jobs
    report all of their work) and on the cluster's workers: the same files, byte for
    byte.  A FITS file made back from the ASDF one is also the same either way."""
    _, client = cluster
    given = _inputs(tmp_path / "in")
    a, b = tmp_path / "serial", tmp_path / "cluster"
    here, there = _jobs(given, a), _jobs(given, b)
    assert [dataclasses.replace(j, output=Path(os.path.relpath(j.output, b))) for j in there] \
        == [dataclasses.replace(j, output=Path(os.path.relpath(j.output, a))) for j in here]
    for stage in range(2):
        for job in here:
            job.output.parent.mkdir(parents=True, exist_ok=True)
            done = []
            run_job(job, progress=done.append)
            assert sum(done) == job.work and (job.work > 0) == (job.action == "ramp")
        for job in there:
            job.output.parent.mkdir(parents=True, exist_ok=True)
        seconds = client.gather(client.map(run_job, [j.resolved() for j in there], pure=False))
        assert all(s >= 0 for s in seconds)
        if stage == 0:  # then: the ASDF files back to FITS
            here = _plan([a / "asdf" / given["cal"][0].with_suffix(".asdf").name],
                         a / "fits", to="fits")
            there = _plan([b / "asdf" / given["cal"][0].with_suffix(".asdf").name],
                          b / "fits", to="fits")
    files = _files(a)
    assert len(files) == 11 and _files(b) == files
    with fits.open(a / "dq" / PRODUCT.format("rateints")) as h:
        assert h["DQ"].data.any()
