"""ramps.products.dask: to_dask over files astropy writes (uncal, segments), equal to
astropy's arrays; chunk plans; graphs that hold no data and no open file (they pickle and
compute in another process).  Roman files, and combine_dq / recompute_err with
dask=True: tests/ops/test_quality.py."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys

import numpy as np
import pytest
from astropy.io import fits

import ramps

import cloudpickle as cloudpickle
from ramps.products import dask as dask_arrays

NAME = "jw02734002001_04101_00001{seg}_nrcalong_{kind}.fits"
SHAPE = (4, 3, 8, 16)  # nints, ngroups, ny, nx: 768 bytes per integration of uint16


def _counts(shape=SHAPE, seed=0):
    return np.random.default_rng(seed).integers(0, 65536, shape, dtype=np.uint16)


def _write(path, hdus, header=None):
    prim = fits.PrimaryHDU()
    for k, v in (header or {}).items():
        prim.header[k] = v
    fits.HDUList([prim] + hdus).writeto(path)
    return path


@pytest.fixture
def uncal(tmp_path):
    """An uncal as astropy writes uint16: BITPIX=16, BZERO=32768."""
    return _write(tmp_path / NAME.format(seg="", kind="uncal"),
                  [fits.ImageHDU(_counts(), name="SCI"), fits.BinTableHDU.from_columns(
                      [fits.Column("integration_number", "J", array=np.arange(1, 5))],
                      name="INT_TIMES")])


def _astropy(path, name="SCI"):
    with fits.open(path) as h:
        return np.array(h[name].data)


def test_uncal_equals_astropy_and_read(uncal):
    """Default dtype: the physical uint16 (as p.read); dtype=float32 decodes."""
    expected = _astropy(uncal)
    with ramps.open(uncal) as p:
        a = p.to_dask()
        assert a.dtype == np.uint16 and a.shape == SHAPE and a.chunks[0] == (4,)
        np.testing.assert_array_equal(a.compute(), expected)
        np.testing.assert_array_equal(a.compute(), p.read("SCI"))
        f = dask_arrays.to_dask(p, "SCI", dtype=np.float32)
        got = f.compute()
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected.astype(np.float32))
    np.testing.assert_array_equal(dask_arrays.to_dask(uncal).compute(), expected)  # a path


@pytest.mark.parametrize("limit,chunks0,chunks1", [
    (1600, (2, 2), (3,)),  # 2 integrations of 768 bytes per chunk
    (768, (1, 1, 1, 1), (3,)),  # exactly one
    (600, (1, 1, 1, 1), (2, 1)),  # an integration is too big: 2 groups (512 bytes) per chunk
    (100, (1, 1, 1, 1), (1, 1, 1)),  # not even a group fits: one group per chunk
])
def test_chunks_by_integration_then_group(uncal, monkeypatch, limit, chunks0, chunks1):
    monkeypatch.setattr(dask_arrays, "CHUNK_BYTES", limit)
    a = dask_arrays.to_dask(uncal)
    assert a.chunks == (chunks0, chunks1, (8,), (16,))
    np.testing.assert_array_equal(a.compute(), _astropy(uncal))
    b = dask_arrays.to_dask(uncal, chunks=f"{limit}B")  # the same limit as a string
    assert b.chunks == a.chunks


@pytest.mark.parametrize("chunks,expected", [
    (3, ((3, 1), (3,))), ((1,), ((1,) * 4, (3,))), ((1, 2), ((1,) * 4, (2, 1))),
    ((2, 3), ((2, 2), (3,))),  # all groups: no split
])
def test_explicit_chunks(uncal, chunks, expected):
    a = dask_arrays.to_dask(uncal, dtype="float64", chunks=chunks)
    assert a.chunks[:2] == expected
    np.testing.assert_array_equal(a.compute(), _astropy(uncal).astype(np.float64))


@pytest.mark.parametrize("chunks", [0, (2, 1), "0B", 1.5])
def test_bad_chunks(uncal, chunks):
    with pytest.raises((ValueError, TypeError)):
        dask_arrays.to_dask(uncal, chunks=chunks)


def test_each_chunk_is_a_task_that_opens_the_file(uncal, monkeypatch):
    """The graph holds paths, not data: each task is given the path and opens it, so the
    array computes after the product is closed; one call per chunk."""
    calls = []
    read = dask_arrays._read_block

    def spy(path, *a):
        calls.append((path, a[3:]))
        return read(path, *a)

    monkeypatch.setattr(dask_arrays, "_read_block", spy)
    monkeypatch.setattr(dask_arrays, "CHUNK_BYTES", 1536)  # one float32 integration
    with ramps.open(uncal) as p:
        a = p.to_dask("SCI", dtype="float32")
    np.testing.assert_array_equal(a.compute(), _astropy(uncal).astype(np.float32))
    assert sorted(c[1] for c in calls) == [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert {c[0] for c in calls} == {str(uncal)}


def test_graph_pickles_and_computes_in_another_process(uncal, monkeypatch):
    """cloudpickle and pickle of the graph are small (no array inside) and a fresh
    process, with no product open, computes the array from them."""
    monkeypatch.setattr(dask_arrays, "CHUNK_BYTES", 600)  # 12 tasks, split by group
    a = dask_arrays.to_dask(uncal, dtype="float32")
    graph = dict(a.__dask_graph__())
    assert len(graph) == 12
    blob = pickle.dumps((graph, a.__dask_keys__()))
    assert len(cloudpickle.dumps(graph)) < 8000 and len(blob) < 8000  # the data: 24 kB
    code = ("import sys, pickle, dask, numpy as np\n"
            "from dask.array.core import concatenate3\n"
            "graph, keys = pickle.loads(sys.stdin.buffer.read())\n"
            "np.save(sys.stdout.buffer, concatenate3(dask.get(graph, keys)))\n")
    r = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True)
    assert r.returncode == 0, r.stderr.decode()
    got = np.load(io.BytesIO(r.stdout))
    np.testing.assert_array_equal(got, _astropy(uncal).astype(np.float32))


def test_rewritten_file_gets_new_keys(tmp_path):
    path = _write(tmp_path / "x_uncal.fits", [fits.ImageHDU(_counts(), name="SCI")])
    first = dask_arrays.to_dask(path).name
    assert dask_arrays.to_dask(path).name == first  # deterministic
    _write(tmp_path / "y_uncal.fits", [fits.ImageHDU(_counts(seed=9), name="SCI")])
    (tmp_path / "y_uncal.fits").replace(path)
    again = dask_arrays.to_dask(path)
    assert again.name != first
    np.testing.assert_array_equal(again.compute(), _counts(seed=9))


def _segments(tmp_path, sizes):
    data = _counts((sum(sizes),) + SHAPE[1:], seed=4)
    paths, start = [], 1
    for k, n in enumerate(sizes, 1):
        hdr = {"EXSEGNUM": k, "EXSEGTOT": len(sizes), "INTSTART": start,
               "INTEND": start + n - 1}
        paths.append(_write(tmp_path / NAME.format(seg=f"-seg{k:03d}", kind="uncal"),
                            [fits.ImageHDU(data[start - 1:start - 1 + n], name="SCI")], hdr))
        start += n
    return data, paths


def test_exposure_across_segments(tmp_path, monkeypatch):
    """Chunks of 2 integrations within each segment of 2, 1 and 3: never across two files."""
    data, paths = _segments(tmp_path, [2, 1, 3])
    monkeypatch.setattr(dask_arrays, "CHUNK_BYTES", 3200)  # float32: 1536 B per integration
    with ramps.open_exposure(paths[::-1]) as exp:
        a = exp.to_dask("SCI", dtype="float32")
        assert a.chunks[0] == (2, 1, 2, 1)
        np.testing.assert_array_equal(a.compute(), exp.read("SCI", dtype="float32"))
    np.testing.assert_array_equal(a.compute(), data.astype(np.float32))
    reference = np.concatenate([_astropy(p) for p in paths])
    np.testing.assert_array_equal(dask_arrays.to_dask([str(p) for p in paths]).compute(),
                                  reference)


def test_refusals(tmp_path, uncal):
    with pytest.raises(ValueError, match="path or URL"):
        with ramps.open(io.BytesIO(uncal.read_bytes()), kind="uncal") as p:
            dask_arrays.to_dask(p)
    with pytest.raises(TypeError, match="not an image"):
        dask_arrays.to_dask(uncal, "INT_TIMES")
    _, paths = _segments(tmp_path, [1, 1])
    with ramps.open_exposure(paths) as exp:
        assert exp.to_dask().shape == (2,) + SHAPE[1:]
        exp.ranges[:] = [(1, 2), (3, 3)]  # an extension whose axis 0 is not the segment's range
        with pytest.raises(ValueError, match="per integration"):
            exp.to_dask()
