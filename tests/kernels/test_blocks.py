"""Block loops on several threads (ramps.kernels.blocks) and the whole-extension operations
that use them: same results for any block size and thread count, errors surface."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import ramps
import reference
from ramps import kernels
from ramps.kernels import blocks as _workplan
from ramps.ops import quality_fits as dq_err
from ramps.fits import read as fits_read
from ramps.sources import FileObjectSource, MmapSource
from ramps.fits.write import write


@pytest.mark.parametrize("count,step,nthreads", [(0, 4, 2), (1, 4, 3), (10, 3, 1), (10, 3, 2),
                                                 (10, 1, 4), (7, 100, 2), (64, 5, 3)])
def test_run_blocks_covers_the_range_once(count, step, nthreads):
    seen, names, lock = [], set(), threading.Lock()

    def work(i, j):
        with lock:
            seen.append((i, j))
            names.add(threading.current_thread().name)

    _workplan.run_blocks(count, step, work, nthreads)
    assert sorted(seen) == [(i, min(i + step, count)) for i in range(0, count, step)]
    assert len(names) <= max(1, min(nthreads, len(seen)))


def test_run_blocks_reraises_and_stops():
    started, lock = [], threading.Lock()

    def work(i, j):
        with lock:
            started.append(i)
        if i == 3:
            raise KeyError("block 3")

    with pytest.raises(KeyError, match="block 3"):
        _workplan.run_blocks(1000, 1, work, 2)
    assert 3 in started and len(started) < 1000  # no new blocks after the error
    with pytest.raises(KeyError):
        _workplan.run_blocks(10, 1, work, 1)


def test_workers():
    assert _workplan.workers(3) == (3 if kernels.have_openmp() else 1) and _workplan.workers(1) == 1
    assert _workplan.workers(None) == max(1, ramps._core.max_threads(0))
    for bad in (0, -2, 1.5, "2"):
        with pytest.raises(ValueError, match="threads must be a positive integer or None"):
            _workplan.workers(bad)


def test_bad_threads_are_refused_whatever_the_path(tmp_path, monkeypatch):
    path, *_ = _ramp(tmp_path)
    for block in (1, 1 << 24):  # per-thread blocks, all-core calls
        monkeypatch.setattr(dq_err, "DQ_BLOCK_BYTES", block)
        monkeypatch.setattr(fits_read, "CHUNK_BYTES", block)
        with pytest.raises(ValueError, match="threads must be"):
            ramps.combine_dq(path, threads=0)
        with ramps.open(path) as p, pytest.raises(ValueError, match="threads must be"):
            p.read("SCI", threads=0)


def _ramp(tmp_path, nints=9, ngroups=3, ny=5, nx=7, seed=4):
    """A ramp whose GROUPDQ starts at a byte offset that is not page-aligned."""
    rng = np.random.default_rng(seed)
    pixeldq = rng.integers(0, 1 << 31, (ny, nx), dtype=np.uint32)
    groupdq = rng.integers(0, 256, (nints, ngroups, ny, nx), dtype=np.uint8)
    sci = rng.random((nints, ngroups, ny, nx), dtype=np.float32)
    path = write(tmp_path / "jw01234001001_01101_00001_nrcalong_ramp.fits", "ramp",
                 {"SCI": sci, "PIXELDQ": pixeldq, "GROUPDQ": groupdq})
    with ramps.open(path) as p:
        assert p.hdu("GROUPDQ").data_offset % 4096 and p.hdu("SCI").data_offset % 4096
    return path, pixeldq, groupdq, sci


@pytest.mark.parametrize("threads", [None, 1, 2, 3])
@pytest.mark.parametrize("block,call", [(1, 1 << 26), (200, 1 << 26),  # per-thread blocks
                                        (1 << 24, 1 << 26), (1 << 24, 300)])  # all-core calls
@pytest.mark.parametrize("rules", ["or", "stcal"])
def test_combine_dq_in_blocks(tmp_path, monkeypatch, threads, block, call, rules):
    path, pixeldq, groupdq, _ = _ramp(tmp_path)
    monkeypatch.setattr(dq_err, "DQ_BLOCK_BYTES", block)
    monkeypatch.setattr(_workplan, "CALL_BYTES", call)
    expected = reference.combine_dq(pixeldq, groupdq, rules=rules)
    got = ramps.combine_dq(path, rules=rules, threads=threads)  # opened here: pages released
    np.testing.assert_array_equal(got, expected)
    with ramps.open(path) as p:  # the caller's product: pages kept, product still usable
        out = np.full(expected.shape, 7, np.uint32)
        assert ramps.combine_dq(p, rules=rules, threads=threads, out=out) is out
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(p.read("GROUPDQ"), groupdq)


def test_combine_dq_in_blocks_from_a_file_object(tmp_path, monkeypatch):
    path, pixeldq, groupdq, _ = _ramp(tmp_path)
    monkeypatch.setattr(dq_err, "DQ_BLOCK_BYTES", 1)
    with open(path, "rb") as f, ramps.products.fits.Product(FileObjectSource(f)) as p:
        np.testing.assert_array_equal(ramps.combine_dq(p, threads=2),
                                      reference.combine_dq(pixeldq, groupdq))


@pytest.mark.parametrize("threads", [None, 1, 2, 3])
@pytest.mark.parametrize("chunk,call,small", [(4, 1 << 26, 0), (100, 1 << 26, 0),
                                              (1 << 24, 1 << 26, 0), (1 << 24, 1000, 0),
                                              (1 << 24, 1000, 1 << 20)])
def test_read_in_blocks(tmp_path, monkeypatch, threads, chunk, call, small):
    path, _, _, sci = _ramp(tmp_path, nints=11)
    monkeypatch.setattr(fits_read, "CHUNK_BYTES", chunk)
    monkeypatch.setattr(fits_read, "SMALL_BYTES", small)
    monkeypatch.setattr(_workplan, "CALL_BYTES", call)
    with ramps.open(path) as p:
        np.testing.assert_array_equal(p.read("SCI", threads=threads), sci)
        np.testing.assert_array_equal(p.read("SCI", dtype=np.float64, threads=threads), sci)
        np.testing.assert_array_equal(p.sci[3:5], sci[3:5])
        out = np.empty(sci.size, np.float32)
        p.read("SCI", out=out, threads=threads)
        np.testing.assert_array_equal(out.reshape(sci.shape), sci)
        assert isinstance(p.source, MmapSource)


def test_read_in_blocks_reports_errors_with_the_extension(tmp_path, monkeypatch):
    path, *_ = _ramp(tmp_path)
    monkeypatch.setattr(fits_read, "CHUNK_BYTES", 4)
    with ramps.open(path) as p:
        with pytest.raises(ValueError, match=r"\[SCI,1\]: BITPIX=-32"):
            p.read("SCI", dtype=np.int16, threads=2)
