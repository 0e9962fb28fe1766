"""The FITS route of ramps.recompute_err (ramps.ops.quality_fits) on files astropy writes:
straight from the memory map when the variances are unscaled big-endian float32,
decoded block by block otherwise; the same bits either way, and input pages released
only for files the call opened."""

from __future__ import annotations

import io

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps.ops import quality_fits as dq_err
from ramps.products.roles import VARIANCES
from ramps.sources import MmapSource

SHAPE = (3, 5, 7)  # 105 values: 15 blocks of 7, or 9 of 12 and a tail of 9


def _variances(k, seed=0):
    """k float32 cubes: random, with NaNs of distinct payloads, inf and -inf + inf."""
    rng = np.random.default_rng(seed)
    vs = [(rng.random(SHAPE, dtype=np.float32) * 100) for _ in range(k)]
    flat = [v.reshape(-1) for v in vs]
    for j, f in enumerate(flat):
        f.view(np.uint32)[:3] = [0x7FC00001 + j, 0x7F800002 + j, 0xFFC00003 + j]
        f[3] = np.inf
    flat[0][4], flat[1][4] = -np.inf, np.inf
    flat[0][50] = np.nan  # NaN + number in the middle of a block
    return vs


def _expected(vs):
    with np.errstate(invalid="ignore"):
        total = vs[0] + vs[1]
        for v in vs[2:]:
            total = total + v
        return np.sqrt(total)


def _write(path, vs, hdus=None):
    names = VARIANCES[: len(vs)]
    prim = fits.PrimaryHDU()
    prim.header["DATAMODL"] = "CubeModel"
    hdus = hdus or [fits.ImageHDU(v, name=n) for v, n in zip(vs, names)]
    fits.HDUList([prim, fits.ImageHDU(np.zeros(SHAPE, np.float32), name="SCI")] + hdus
                 ).writeto(path)
    return path


@pytest.fixture
def spies(monkeypatch):
    """Records decode calls and released byte ranges."""
    calls = {"decode": 0, "released": []}
    decode = dq_err.decode_range
    release = MmapSource.release

    def spy_decode(*a, **kw):
        calls["decode"] += 1
        return decode(*a, **kw)

    def spy_release(self, offset, size):
        calls["released"].append((offset, size))
        return release(self, offset, size)

    monkeypatch.setattr(dq_err, "decode_range", spy_decode)
    monkeypatch.setattr(MmapSource, "release", spy_release)
    return calls


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize("block", [7, 12, dq_err.MAPPED_BLOCK_ELEMENTS])
@pytest.mark.parametrize("threads", [1, 2, None])
def test_err_straight_from_the_map(tmp_path, monkeypatch, spies, k, block, threads):
    vs = _variances(k)
    path = _write(tmp_path / "x_rateints.fits", vs)
    monkeypatch.setattr(dq_err, "MAPPED_BLOCK_ELEMENTS", block)
    before = path.read_bytes()
    err = ramps.recompute_err(path, threads=threads)
    assert err.dtype == np.float32 and err.dtype.isnative and err.shape == SHAPE
    assert err.tobytes() == _expected(vs).tobytes()  # every bit, NaN payloads too
    assert spies["decode"] == 0
    assert path.read_bytes() == before
    # the call opened the file: every variance byte released once, block by block
    n = int(np.prod(SHAPE))
    with ramps.open(path) as p:
        offsets = {p.hdu(name).data_offset for name in VARIANCES[:k]}
    got = sorted(spies["released"])
    want = sorted((off + 4 * i, 4 * min(block, n - i)) for off in offsets
                  for i in range(0, n, block))
    assert got == want


def test_err_from_an_open_product_keeps_its_pages(tmp_path, spies):
    vs = _variances(3, seed=1)
    path = _write(tmp_path / "x_rateints.fits", vs)
    out = np.full(SHAPE, -1.0, np.float32)
    with ramps.open(path) as p:
        assert ramps.recompute_err(p, out=out) is out
        assert ramps.recompute_err(p, out=out) is out  # the product stays usable
    assert out.tobytes() == _expected(vs).tobytes()
    assert spies["decode"] == 0 and spies["released"] == []


def _scaled(vs):
    """VAR_RNOISE stored as int16 with BSCALE 0.5: physical values are multiples of 0.5."""
    q = np.round(np.nan_to_num(vs[1], posinf=100).clip(0, 100) * 2).astype(np.int16)
    hdu = fits.ImageHDU(q, name="VAR_RNOISE")
    hdu.header["BSCALE"] = 0.5
    hdu.header["BZERO"] = 0.0
    return [vs[0], q.astype(np.float32) * np.float32(0.5)], [
        fits.ImageHDU(vs[0], name="VAR_POISSON"), hdu]


@pytest.mark.parametrize("case", ["bscale", "float64", "file object"])
def test_err_decodes_what_the_map_cannot_give(tmp_path, spies, case):
    vs = _variances(2, seed=2)
    if case == "bscale":
        vs, hdus = _scaled(vs)
        path = _write(tmp_path / "x_rateints.fits", vs, hdus)
        with ramps.open(path) as p:
            assert p.hdu("VAR_RNOISE").bscale == 0.5
    elif case == "float64":
        with np.errstate(invalid="ignore"):  # signalling NaNs come out quiet
            hdus = [fits.ImageHDU(vs[0], name="VAR_POISSON"),
                    fits.ImageHDU(vs[1].astype(np.float64), name="VAR_RNOISE")]
        path = _write(tmp_path / "x_rateints.fits", vs, hdus)
    else:
        path = _write(tmp_path / "x_rateints.fits", vs)
    if case == "file object":
        with ramps.open(io.BytesIO(path.read_bytes()), kind="rateints") as p:
            err = ramps.recompute_err(p)
    else:
        err = ramps.recompute_err(path)
    np.testing.assert_array_equal(err, _expected(vs))
    assert spies["decode"] > 0
