"""ramps.kernels.combine_dq / err_from_variances on dask arrays (ramps.kernels.dask): lazy
dask results equal to the numpy reference (tests/reference.py) bit for bit, for any
chunking of the inputs; the same errors as the numpy kernels; and no dask import in
ramps until dask arrays are handed in."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import reference as ref
from ramps import kernels

import dask.array as da

SHAPE = (5, 4, 6, 7)  # nints, ngroups, ny, nx


def _dq(seed=0):
    rng = np.random.default_rng(seed)
    groupdq = rng.choice(np.array([0, 0, 0, 1, 2, 4, 32, 3, 6, 64, 128], np.uint8), SHAPE)
    groupdq[0, :, 0, 0] = 2  # every group saturated
    groupdq[1, 0, 0, 1] = 2  # group 0 saturated
    pixeldq = rng.integers(0, 2**32, SHAPE[2:], dtype=np.uint32)
    return pixeldq, groupdq


@pytest.mark.parametrize("rules", ["or", "stcal"])
@pytest.mark.parametrize("gchunks", [(1, -1, -1, -1), (2, 1, -1, -1), (3, 2, 4, 3)])
@pytest.mark.parametrize("pix_dask", [False, True])
def test_combine_dq_equals_numpy(rules, gchunks, pix_dask):
    """Chunks along groups (1 or 2 of 4) are joined, since a DQ plane needs every group;
    pixel chunks of GROUPDQ and PIXELDQ are aligned (PIXELDQ chunked (2, 5) against
    GROUPDQ's (4, 3) in the last case)."""
    pixeldq, groupdq = _dq()
    g = da.from_array(groupdq, chunks=gchunks)
    p = da.from_array(pixeldq, chunks=(2, 5)) if pix_dask else pixeldq
    got = kernels.combine_dq(p, g, rules=rules, mask=0xFE)
    assert isinstance(got, da.Array) and got.dtype == np.uint32 and got.shape == (5, 6, 7)
    assert got.chunks[0] == g.chunks[0]  # one task per chunk of integrations
    expected = ref.combine_dq(pixeldq, groupdq, rules=rules, mask=0xFE)
    np.testing.assert_array_equal(got.compute(), expected)
    np.testing.assert_array_equal(got.compute(), kernels.combine_dq(pixeldq, groupdq,
                                                                    rules=rules, mask=0xFE))


def test_combine_dq_groups_whole_in_each_task():
    """Each block the kernel sees holds every group: rechunked from 1-group chunks."""
    _, groupdq = _dq()
    got = kernels.combine_dq(da.zeros(SHAPE[2:], dtype=np.uint32, chunks=-1),
                             da.from_array(groupdq, chunks=(1, 1, -1, -1)))
    assert got.numblocks == (5, 1, 1)
    np.testing.assert_array_equal(got.compute(), ref.combine_dq(
        np.zeros(SHAPE[2:], np.uint32), groupdq))


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("order", ["=", ">"])
def test_err_equals_numpy(k, order):
    """Variances chunked differently from one another are aligned; big-endian (FITS) input
    gives the same bits as native, with NaN and inf where numpy has them."""
    rng = np.random.default_rng(k)
    vs = [(rng.random((4, 9, 10), dtype=np.float32) * 50) for _ in range(k)]
    vs[0][0, 0, :3] = [np.nan, np.inf, -1.0]
    vs = [v.astype(np.dtype(np.float32).newbyteorder(order)) for v in vs]
    arrs = [da.from_array(v, chunks=c) for v, c in zip(vs, [(1, 4, 10), (2, 9, 3), (4, 5, 5)])]
    got = kernels.err_from_variances(*arrs)
    assert isinstance(got, da.Array) and got.dtype == np.float32
    with np.errstate(invalid="ignore"):
        expected = ref.err_from_variances(*vs)
    assert got.compute().tobytes() == expected.tobytes()


def test_err_float16_to_float16():
    rng = np.random.default_rng(5)
    vs = [(rng.random((3, 8, 8)) * 20).astype(np.float16) for _ in range(3)]
    got = kernels.err_from_variances(*(da.from_array(v, chunks=(1, 4, 8)) for v in vs),
                                     dtype=np.float16)
    assert got.dtype == np.float16
    assert got.compute().tobytes() == ref.err_from_variances(*vs, dtype=np.float16).tobytes()


def test_numpy_mixed_with_dask():
    """One dask argument is enough; numpy ones are wrapped."""
    vs = [np.full((2, 3), 4.0, np.float32), np.full((2, 3), 5.0, np.float32)]
    got = kernels.err_from_variances(vs[0], da.from_array(vs[1], chunks=1))
    assert isinstance(got, da.Array)
    np.testing.assert_array_equal(got.compute(), np.full((2, 3), 3.0, np.float32))


def _z(shape, dtype):
    return da.zeros(shape, dtype=dtype)


@pytest.mark.parametrize("call,exc,words", [
    (lambda: kernels.combine_dq(_z((2, 2), np.int32),
                                _z((1, 1, 2, 2), np.uint8)),
     TypeError, "pixeldq must have dtype uint32"),
    (lambda: kernels.combine_dq(_z((2, 2), np.uint32),
                                _z((1, 2, 2), np.uint8)),
     ValueError, "groupdq must be 4-D"),
    (lambda: kernels.combine_dq(_z((2, 3), np.uint32), _z((1, 1, 2, 2), np.uint8)),
     ValueError, "does not match pixeldq"),
    (lambda: kernels.combine_dq(_z((2, 2), np.uint32), _z((1, 1, 2, 2), np.uint8),
                                rules="max"), ValueError, "rules must be"),
    (lambda: kernels.combine_dq(_z((2, 2), np.uint32), _z((1, 1, 2, 2), np.uint8),
                                out=np.empty((1, 2, 2), np.uint32)), TypeError, "lazy dask"),
    (lambda: kernels.err_from_variances(_z(3, np.float32), _z(4, np.float32)),
     ValueError, "variance 2 has shape (4,)"),
    (lambda: kernels.err_from_variances(_z(3, np.float64), _z(3, np.float64)),
     TypeError, "float32 or float16"),
    (lambda: kernels.err_from_variances(_z(3, np.float32)), TypeError, "2 or 3"),
    (lambda: kernels.err_from_variances(_z(3, np.float32), _z(3, np.float32),
                                        dtype=np.float16), TypeError, "float32 ERR"),
])
def test_errors_as_numpy(call, exc, words):
    """Raised while building the graph, before any block is computed."""
    with pytest.raises(exc) as e:
        call()
    assert words in str(e.value)


def test_importing_ramps_does_not_import_dask():
    """The core and the command line load dask only when dask arrays or --scheduler are used."""
    code = ("import sys, numpy as np, ramps, ramps.kernels, ramps.ops.quality, ramps.products.fits, "
            "ramps.products.exposure, ramps.convert.cli, ramps.convert.distributed; "
            "ramps.convert.cli.convert_parser(); ramps.kernels.combine_dq("
            "np.zeros((1, 1), np.uint32), np.zeros((1, 1, 1, 1), np.uint8)); "
            "print(sorted(m for m in sys.modules if m == 'dask' or m.startswith(('dask.', "
            "'distributed'))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
