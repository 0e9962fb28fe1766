"""The corruption matrix: uncal-, rate- and cal-like products written by stdatamodels
(their ASDF extension included), mutated every way tests/corruption.py lists, each
put through everything a user may do with ramps.

The cases run in batches, each batch one subprocess with an address-space limit
(RLIMIT_AS, 2 GiB: an allocation the file cannot back fails there as MemoryError,
which is not a typed error) and a timeout.  Every case must end in a typed ramps
error or a correct result (each image read equal to astropy's where astropy reads
it); never a signal, a hang, an untyped exception or a huge allocation.  The counts
per kind are printed (``pytest -s``) and checked against the matrix's plan.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import corruption

import stdatamodels.jwst.datamodels as dm  # noqa: E402  (a test extra: missing fails)

ADDRESS_SPACE = 2 << 30
BATCHES = 4
TIMEOUT = 300  # seconds per batch (a few seconds each when all is well)


def _save(model, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path)
    return str(path)


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    """Small uncal, rate and cal files written by stdatamodels (SCI, ERR, DQ, variances,
    INT_TIMES-less; each with its ASDF extension)."""
    folder = tmp_path_factory.mktemp("matrix")
    rng = np.random.default_rng(11)
    uncal = dm.Level1bModel(data=rng.integers(0, 65535, (2, 3, 8, 16), dtype=np.uint16))
    uncal.meta.exposure.nints, uncal.meta.exposure.ngroups = 2, 3
    uncal.meta.instrument.name, uncal.meta.instrument.detector = "NIRCAM", "NRCALONG"
    f = rng.standard_normal((8, 16)).astype(np.float32)
    rate = dm.ImageModel(data=f, err=np.abs(f), dq=rng.integers(0, 9, (8, 16), dtype=np.uint32),
                         var_poisson=f * f, var_rnoise=np.abs(f))
    rate.meta.instrument.name = "NIRCAM"
    cal = dm.ImageModel(data=f * 3, err=np.abs(f), dq=np.zeros((8, 16), np.uint32),
                        var_poisson=f * f, var_rnoise=np.abs(f), var_flat=np.abs(f) / 2,
                        area=np.ones((8, 16), np.float32))
    cal.meta.instrument.name = "NIRCAM"
    cal.meta.cal_step.flat_field = "COMPLETE"
    return {"uncal": _save(uncal, folder / "jw01_nrcalong_uncal.fits"),
            "rate": _save(rate, folder / "jw01_nrcalong_rate.fits"),
            "cal": _save(cal, folder / "jw01_nrcalong_cal.fits")}


def _run_batch(spec_path: Path) -> tuple[list[dict], str]:
    """One worker process; returns its results and what went wrong with it ("" if nothing)."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    try:
        r = subprocess.run([sys.executable, corruption.__file__, str(spec_path)],
                           capture_output=True, text=True, timeout=TIMEOUT, env=env)
        out, problem = r.stdout, ""
        if r.returncode != 0:
            problem = f"exit status {r.returncode}" + (" (a signal)" if r.returncode < 0 else "")
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        problem = f"hang: no end after {TIMEOUT} s"
        r = None
    lines = out.splitlines()
    results = [json.loads(line) for line in lines if line.startswith("{")]
    if lines and lines[-1].startswith("START"):
        problem += f"; during case {lines[-1].split()[1]}"
    if not problem and (not lines or lines[-1] != "ALL DONE"):
        problem = "the worker stopped early"
    if problem and r is not None:
        problem += "\n" + r.stderr[-3000:]
    return results, problem


def test_corruption_matrix(products, tmp_path):
    raw = {name: Path(path).read_bytes() for name, path in products.items()}
    all_cases = []
    for seed, (name, data) in enumerate(raw.items()):
        all_cases += corruption.cases(data, name, seed)
    batches = [all_cases[k::BATCHES] for k in range(BATCHES)]
    specs = []
    for k, batch in enumerate(batches):
        spec = tmp_path / f"batch{k}.json"
        spec.write_text(json.dumps({"products": products, "cases": batch,
                                    "folder": str(tmp_path), "address_space": ADDRESS_SPACE}))
        specs.append(spec)
    with ThreadPoolExecutor(2) as pool:  # two workers at a time (the machines have 2 cores)
        outcomes = list(pool.map(_run_batch, specs))
    problems = [p for _, p in outcomes if p]
    assert not problems, problems
    results = [r for rs, _ in outcomes for r in rs]
    assert sorted(r["name"] for r in results) == sorted(c["name"] for c in all_cases)
    untyped = [(r["name"], r["untyped"]) for r in results if "untyped" in r]
    assert not untyped, untyped[:5]
    mismatched = [(r["name"], r["mismatch"]) for r in results if "mismatch" in r]
    assert not mismatched, mismatched[:5]
    per_kind = collections.Counter(r["kind"].split("-")[0] if r["kind"].startswith("absurd")
                                   else r["kind"] for r in results)
    typed = collections.Counter(e for r in results for e in r["errors"])
    compared = sum(r.get("compared", 0) for r in results)
    print(f"\ncorruption matrix: {len(results)} cases, per kind {dict(sorted(per_kind.items()))}; "
          f"typed errors met {dict(typed)}; {compared} images equal to astropy's")
    # the plan: every kind present, for every product
    assert {"truncate-block", "truncate-random", "flip-header", "flip-data", "flip-asdf",
            "absurd", "no-end", "duplicate-extname", "duplicate-extver"} <= set(per_kind)
    assert per_kind["truncate-block"] == sum(-(-len(d) // 2880) for d in raw.values())
    assert compared > 100  # the comparison with astropy is not vacuous
