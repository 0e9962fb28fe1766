"""Files for the operation tests, each written by an independent writer: JWST products
and segments by astropy, Roman products by roman_datamodels (with the plausible values
of tests/roman_fixtures.py; the ``roman`` fixture of conftest.py), and their arrays as
that writer holds them (the reference)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from astropy.io import fits

import roman_datamodels.datamodels as rdm
from roman_fixtures import fill  # noqa: F401 (plausible values for every array; the tests take it from here)


RAMP_NAME = "jw02734002001_04101_00001{seg}_nrcalong_{kind}.fits"
SHAPE = (5, 3, 8, 16)  # nints, ngroups, ny, nx
ROMAN_SHAPES = {"RampModel": (4, 40, 48), "ImageModel": (40, 48), "MosaicModel": (50, 44),
                "ScienceRawModel": (3, 16, 16)}
VARS = ("VAR_POISSON", "VAR_RNOISE", "VAR_FLAT")


def groupdq(rng, shape):
    """Group flags as a ramp has them: mostly clear, the stcal bits (DO_NOT_USE, SATURATED,
    JUMP_DET, PERSISTENCE) and others, a pixel saturated in every group."""
    gdq = rng.choice(np.array([0, 0, 0, 1, 2, 4, 32, 6, 8, 128], np.uint8), shape)
    gdq[..., 0, 0] = 2
    return gdq


def variances(rng, shape, k):
    """k float32 variances with NaN, inf and -inf + inf where ERR must give NaN."""
    vs = [(rng.random(shape, dtype=np.float32) * 40) for _ in range(k)]
    flat = [v.reshape(-1) for v in vs]
    flat[0][:2] = [np.nan, np.inf]
    flat[0][2], flat[1][2] = -np.inf, np.inf
    return vs


def _write(path, hdus, header=None):
    prim = fits.PrimaryHDU()
    for key, value in (header or {}).items():
        prim.header[key] = value
    fits.HDUList([prim] + hdus).writeto(path)
    return path


def _segment_header(k, sizes):
    start = 1 + sum(sizes[:k - 1])
    return {"EXSEGNUM": k, "EXSEGTOT": len(sizes), "INTSTART": start,
            "INTEND": start + sizes[k - 1] - 1}


def write_ramp(folder: Path, sizes=None, seed=1):
    """A JWST ramp (one file, or segments of ``sizes`` integrations): (path or paths,
    PIXELDQ, GROUPDQ of the whole exposure)."""
    rng = np.random.default_rng(seed)
    gdq = groupdq(rng, SHAPE)
    pdq = rng.integers(0, 2**32, SHAPE[2:], dtype=np.uint32)
    sci = rng.random(SHAPE, dtype=np.float32)
    if sizes is None:
        return _write(folder / RAMP_NAME.format(seg="", kind="ramp"), [
            fits.ImageHDU(sci, name="SCI"), fits.ImageHDU(pdq, name="PIXELDQ"),
            fits.ImageHDU(gdq, name="GROUPDQ")]), pdq, gdq
    paths, i = [], 0
    for k, n in enumerate(sizes, 1):
        paths.append(_write(folder / RAMP_NAME.format(seg=f"-seg{k:03d}", kind="ramp"), [
            fits.ImageHDU(sci[i:i + n], name="SCI"), fits.ImageHDU(pdq, name="PIXELDQ"),
            fits.ImageHDU(gdq[i:i + n], name="GROUPDQ")], _segment_header(k, sizes)))
        i += n
    return paths, pdq, gdq


def write_calints(folder: Path, k=3, sizes=None, seed=2):
    """A JWST calints with k variances (one file, or segments): (path or paths, the
    variances of the whole exposure)."""
    rng = np.random.default_rng(seed + k)
    shape = SHAPE[:1] + SHAPE[2:]
    vs = variances(rng, shape, k)
    sci = rng.random(shape, dtype=np.float32)

    def hdus(i, j):
        return [fits.ImageHDU(sci[i:j], name="SCI"),
                fits.ImageHDU(np.zeros_like(sci[i:j]), name="ERR"),
                fits.ImageHDU(np.zeros(sci[i:j].shape, np.uint32), name="DQ")] + \
            [fits.ImageHDU(v[i:j], name=n) for v, n in zip(vs, VARS)]

    if sizes is None:
        return _write(folder / RAMP_NAME.format(seg="", kind="calints"), hdus(0, shape[0])), vs
    paths, i = [], 0
    for s, n in enumerate(sizes, 1):
        paths.append(_write(folder / RAMP_NAME.format(seg=f"-seg{s:03d}", kind="calints"),
                            hdus(i, i + n), _segment_header(s, sizes)))
        i += n
    return paths, vs


def rdm_open(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rdm.open(str(path))
