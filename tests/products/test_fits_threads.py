"""One Product read from many threads, and closed under them; processes racing for one
output.

The reference is the same product read serially (itself checked against astropy in
tests/test_product.py); the threaded reads must equal it bit for bit.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps.errors import ClosedError

import hostile

NTHREADS = 8


@pytest.fixture(scope="module")
def uncal(tmp_path_factory):
    path = tmp_path_factory.mktemp("threads") / "jw01234001001_01101_00001_nrcalong_uncal.fits"
    rng = np.random.default_rng(5)
    sci = rng.integers(0, 65535, (8, 4, 128, 256), dtype=np.uint16)
    ramps.write(path, "uncal", {"SCI": sci, "ZEROFRAME": sci[:, 0].copy()})
    return path


def _everything(p, k):
    """What thread k reads: all of SCI as float32, integration k % 8, one group of each
    integration, and ZEROFRAME raw."""
    return (p.read("SCI", dtype=np.float32), p.sci[k % 8], p.read("SCI", groups=k % 4),
            p.read("ZEROFRAME"))


def _same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("shared", [True, False], ids=["one shared Product", "one each"])
def test_threads_read_what_serial_reads(uncal, shared):
    with ramps.open(uncal) as p:
        serial = [_everything(p, k) for k in range(NTHREADS)]
    with fits.open(uncal) as hdul:  # the reference of the serial read
        np.testing.assert_array_equal(serial[0][0], hdul["SCI"].data.astype(np.float32))
    common = ramps.open(uncal) if shared else None
    start = threading.Barrier(NTHREADS)

    def job(k):
        start.wait()
        if shared:
            return _everything(common, k)
        with ramps.open(uncal) as own:
            return _everything(own, k)

    try:
        with ThreadPoolExecutor(NTHREADS) as pool:
            results = list(pool.map(job, range(NTHREADS)))
    finally:
        if common is not None:
            common.close()
    for k in range(NTHREADS):
        _same(results[k], serial[k])


def test_close_while_threads_read_raises_closed_error(uncal):
    """Threads read in a loop; the product is closed under them: each thread ends with
    ClosedError (from its read in progress or its next one), none with anything else,
    and arrays already handed out stay valid."""
    p = ramps.open(uncal)
    first = p["SCI"]  # decoded copy (BZERO): valid after close
    view = p["ZEROFRAME"]  # likewise
    started = threading.Barrier(NTHREADS + 1)
    outcome: dict[int, BaseException] = {}
    reads = [0] * NTHREADS

    def reader(k):
        started.wait()
        try:
            while True:
                if k % 2:
                    p.read("SCI", dtype=np.float32, threads=1)
                else:
                    p.sci[k % 8]
                    p.raw_bytes("SCI")[::4096].sum()
                reads[k] += 1
        except BaseException as e:  # noqa: BLE001 - checked below
            outcome[k] = e

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(NTHREADS)]
    for t in threads:
        t.start()
    started.wait()
    while sum(reads) < NTHREADS:  # every thread under way
        threading.Event().wait(0.005)
    p.close()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert sorted(outcome) == list(range(NTHREADS))
    assert all(isinstance(e, ClosedError) for e in outcome.values()), outcome
    with fits.open(uncal) as hdul:
        np.testing.assert_array_equal(first, hdul["SCI"].data)
        np.testing.assert_array_equal(view, hdul["ZEROFRAME"].data)


@pytest.fixture(scope="module")
def forkserver():
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["numpy", "ramps", "ramps.fits.write", "hostile"])
    return ctx


def test_processes_racing_for_one_target_one_wins(tmp_path, forkserver):
    """Two writers without overwrite, released together (a barrier), 5 rounds: exactly
    one publishes, the other gets FileExistsError, and the file is the winner's whole
    file (its SCI is the winner's constant); nothing else is left in the folder."""
    for rnd in range(5):
        target = tmp_path / f"race{rnd}_rate.fits"
        barrier = forkserver.Barrier(2)
        pipes = [forkserver.Pipe() for _ in range(2)]
        procs = [forkserver.Process(target=hostile.race_write_job,
                                    args=(str(target), seed, barrier, child))
                 for seed, (_, child) in zip((1, 2), pipes)]
        for proc in procs:
            proc.start()
        said = [parent.recv() if parent.poll(60) else "timeout" for parent, _ in pipes]
        for proc in procs:
            proc.join(30)
        assert sorted(said) == ["FileExistsError", "won"], said
        winner = 1 + said.index("won")
        with fits.open(target) as hdul:
            assert np.all(hdul["SCI"].data == winner)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"race{r}_rate.fits" for r in range(5)]


def test_two_convert_commands_racing_for_one_output(tmp_path, uncal):
    """Two ramps.convert processes, same input, same output, no --overwrite: one exits
    0, the other 1 saying the output exists; the output is one complete ramp."""
    cmd = [sys.executable, "-m", "ramps.convert", str(uncal), "-o", str(tmp_path), "-q"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [proc.communicate(timeout=300) for proc in procs]
    codes = sorted(proc.returncode for proc in procs)
    assert codes == [0, 1], outs
    loser = outs[[proc.returncode for proc in procs].index(1)]
    assert "exists" in loser[1]
    (out,) = [p for p in tmp_path.iterdir()]
    with fits.open(out, checksum=True) as hdul, fits.open(uncal) as src:
        np.testing.assert_array_equal(hdul["SCI"].data, src["SCI"].data.astype(np.float32))
