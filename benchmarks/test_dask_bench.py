"""ramps.convert on dask.distributed against the serial command, on the TSO set.

The set: the TSO uncal's integrations written as one exposure in segments (small: 5
segment files of 1 integration, 10.5 MB each; large: 8 files of 8 integrations, 84 MB
each), converted to one ramp per segment by ``python -m ramps.convert``:

* serially (the command as it is: kernels on every core);
* with ``--scheduler local:1`` and ``local:2`` (the command starts a LocalCluster of
  one-thread worker processes, and stops it: what a user typing it meets);
* with ``--scheduler ADDRESS`` of a cluster of 1 or 2 workers already running (started
  here, outside the timing): the scheduler's cost alone.

Each fresh round is a new ``ramps.convert`` process with the page cache warm, timed by its
wall clock (imports included); warm rounds call the command's ``convert_main`` in the pytest
process after one untimed run, so that the scheduler's cost per file shows without the
imports a fresh process pays (and warm workers do not).  The summary rows give medians;
the test prints (and stores in extra_info) the 1-worker / 2-worker ratio and the overhead
per file against the serial command.  The last output of every row's untimed first run is
checked to hold the uncal's counts as float32.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
import tso_data
from _ramps_bench import SIZE, TsoRow, _record, tso_group, warm_cache

import distributed  # noqa: E402,F401  (the dask extra is in the test extras)

FILES, INTS = {"small": (5, 1), "large": (8, 8)}[SIZE]
GROUP = tso_group(f"uncal -> ramp of a {FILES}-segment TSO set on dask.distributed",
                  "uncal input bytes",
                  note="wall clock of a fresh `python -m ramps.convert` per round; local:N starts "
                       "its own cluster; ADDRESS = a cluster already running", order=4)
RESULTS: dict[str, TsoRow] = {}


@pytest.fixture(scope="module")
def tso_set(tso):
    """The segment files (written from the TSO uncal's integrations) and an output folder."""
    import ramps

    folder = tso.scratch / "dask_set"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    paths = []
    with ramps.open(tso.uncal) as p:
        meta = dict(p.meta)
        for k in range(FILES):
            s = k * INTS
            sci = p.lazy("SCI", dtype=np.uint16)[s:s + INTS]
            header = {"EXSEGNUM": k + 1, "EXSEGTOT": FILES, "INTSTART": s + 1,
                      "INTEND": s + INTS}
            m = {**meta, "exposure": {**meta.get("exposure", {}), "nints": FILES * INTS,
                                      "segment_number": k + 1, "segment_total": FILES,
                                      "integration_start": s + 1, "integration_end": s + INTS}}
            name = f"{tso_data.BASE.split('-seg')[0]}-seg{k + 1:03d}_nrcalong_uncal.fits"
            paths.append(ramps.write(folder / name, "uncal", {"SCI": sci}, header=header,
                                     meta={"meta": m}))
    out = tso.scratch / "dask_out"
    yield paths, out
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)


@pytest.fixture(scope="module")
def clusters():
    """Clusters of 1 and 2 workers running for the ADDRESS rows (started once)."""
    from ramps.convert.distributed import local_cluster

    made = {}
    yield lambda n: made.setdefault(n, local_cluster(n)).scheduler_address
    for c in made.values():
        c.close()


def _convert(paths, out, scheduler, fresh=True):
    """One conversion of the set into ``out`` (emptied first): its wall clock."""
    from ramps.convert import cli

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for p in paths:
        warm_cache(p)
    args = [*map(str, paths), "-o", str(out), "-q"] + (["--scheduler", scheduler] if scheduler
                                                      else [])
    t = time.perf_counter()
    if fresh:
        r = subprocess.run([sys.executable, "-m", "ramps.convert", *args], capture_output=True,
                           text=True)
        rc, err = r.returncode, r.stderr
    else:
        rc, err = cli.convert_main(args), ""
    dt = time.perf_counter() - t
    if rc != 0:
        raise AssertionError(f"ramps.convert {' '.join(args)} failed ({rc}):\n{err[-3000:]}")
    return dt


#: (row, role, scheduler, mode): fresh = a new `python -m ramps.convert` process per round
#: (what a user meets, imports included); warm = convert_main in this process after one
#: untimed run (the scheduler's own cost per file, no imports).
CASES = [("serial ramps.convert", "ramps", None, "fresh"),
         ("--scheduler local:1", "dask", "local:1", "fresh"),
         ("--scheduler local:2", "dask", "local:2", "fresh"),
         ("--scheduler ADDRESS, 1 worker running", "dask", 1, "fresh"),
         ("--scheduler ADDRESS, 2 workers running", "dask", 2, "fresh"),
         ("serial ramps.convert", "ramps", None, "warm"),
         ("--scheduler ADDRESS, 1 worker running", "dask", 1, "warm"),
         ("--scheduler ADDRESS, 2 workers running", "dask", 2, "warm")]


@pytest.mark.parametrize("name,role,scheduler,mode", CASES,
                         ids=[f"{c[3]}-{c[0]}" for c in CASES])
def test_convert_on_dask(benchmark, tso_set, clusters, name, role, scheduler, mode):
    import ramps

    paths, out = tso_set
    sched = clusters(scheduler) if isinstance(scheduler, int) else scheduler
    fresh = mode == "fresh"
    row = TsoRow(GROUP, mode, name, role, "ramps.convert", sum(p.stat().st_size for p in paths))
    _convert(paths, out, sched, fresh)  # warms the workers (ADDRESS rows) and is checked
    outs = sorted(out.iterdir())
    assert len(outs) == FILES
    with ramps.open(outs[-1]) as p:
        with ramps.open(paths[-1]) as u:
            np.testing.assert_array_equal(p.read("SCI"), u.read("SCI", dtype=np.float32))

    def one_round(i):
        return {"work_s": _convert(paths, out, sched, fresh), "import_s": None, "peak_rss": None}

    _record(benchmark, GROUP, mode, name, one_round, 3, row)
    RESULTS[(name, mode)] = row
    serial = RESULTS.get((CASES[0][0], mode))
    if serial is not None and row is not serial:
        per_file = (row.median - serial.median) / FILES
        benchmark.extra_info.update(overhead_per_file_s=round(per_file, 4))
        print(f"\n{mode} {name}: {row.median:.2f} s vs serial {serial.median:.2f} s for {FILES} "
              f"files: overhead {per_file * 1e3:+.0f} ms per file")
    for one, two in (("--scheduler local:1", "--scheduler local:2"),
                     (CASES[3][0], CASES[4][0])):
        if name == two and (one, mode) in RESULTS:
            ratio = RESULTS[(one, mode)].median / row.median
            benchmark.extra_info.update(speedup_2_vs_1_worker=round(ratio, 3))
            print(f"{mode} 1 worker / 2 workers ({two}): {ratio:.2f}x")
