"""ramps.fits.summary (Product.info): the rows of ``astropy.io.fits.info``, equal to
astropy's own on files stdatamodels writes and on hand-built odd layouts."""

from __future__ import annotations

import io
import warnings

import numpy as np
from astropy.io import fits

from ramps.fits.index import scan
from ramps.fits.summary import format_summary, summary_rows
from ramps.sources import open_source

import stdatamodels.jwst.datamodels as dm


def _rows(path):
    with open_source(path) as src:
        return summary_rows(src, scan(src))


def _astropy(path):
    with fits.open(path) as h:
        return h.info(output=False)


def test_stdatamodels_files(tmp_path):
    rng = np.random.default_rng(1)
    models = {
        "uncal": dm.Level1bModel(data=rng.integers(0, 9, (1, 2, 4, 5), dtype=np.uint16)),
        "ramp": dm.RampModel(data=rng.random((1, 2, 4, 5), dtype=np.float32),
                             pixeldq=np.zeros((4, 5), np.uint32),
                             groupdq=np.zeros((1, 2, 4, 5), np.uint8)),
    }
    for kind, m in models.items():
        path = tmp_path / f"x_{kind}.fits"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.save(path)
        assert _rows(path) == _astropy(path), kind


def test_odd_layouts(tmp_path):
    """Scaled integers of every width (rescale notes), a BSCALE float image, NAXIS=0
    and zero-length images, binary and ASCII tables, a nameless extension."""
    scaled = fits.ImageHDU(np.zeros((2, 3), np.int16), name="SC")
    scaled.header["BSCALE"], scaled.header["BZERO"] = 2.0, 1.0
    ascii_tab = fits.TableHDU.from_columns([fits.Column("a", "I5", array=[1, 2])], name="ASC")
    hdus = [fits.PrimaryHDU(np.zeros(3, np.uint8)),
            fits.ImageHDU(np.zeros((2, 2), np.uint16), name="U16"),
            fits.ImageHDU(np.zeros((2, 2), np.uint32), name="U32"),
            fits.ImageHDU(np.zeros((2, 2), np.uint64), name="U64"),
            fits.ImageHDU(np.zeros((2, 2), np.int8), name="I8"),
            fits.ImageHDU(np.zeros((2, 2), np.float64)), fits.ImageHDU(name="EMPTY"),
            fits.ImageHDU(np.zeros((0, 3), np.float32), name="ZERO"), scaled,
            fits.BinTableHDU(np.zeros(2, dtype=[("x", ">f8"), ("s", "S3")]), name="T"),
            ascii_tab]
    path = tmp_path / "odd.fits"
    fits.HDUList(hdus).writeto(path)
    ours, theirs = _rows(path), _astropy(path)
    assert ours == theirs
    assert ours[1][6] == "int16 (rescales to uint16)" and ours[8][6] == "int16 (rescales to float32)"
    text = io.StringIO()
    format_summary("odd.fits", ours, text)
    ref = io.StringIO()
    with fits.open(path) as h:
        h.info(ref)
    assert text.getvalue().splitlines()[1:] == ref.getvalue().splitlines()[1:]
