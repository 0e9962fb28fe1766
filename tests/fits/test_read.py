"""ramps.fits.read: whole-image reads with astropy's empty-image rule, and raw data units.

Hand-worked: an image HDU with NAXIS = 0 has a data unit of 0 bytes, so its data
offset is the next header's first byte ("X" of XTENSION, 88): any read of it must
be None without touching the file, as astropy's ``hdul[i].data`` is None.
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy.io import fits

from ramps.fits.index import scan
from ramps.fits.read import has_data, image_view, raw_data, read_image
from ramps.sources import open_source


@pytest.fixture
def src(tmp_path):
    path = tmp_path / "r.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(name="EMPTY"),
                  fits.ImageHDU(np.arange(6, dtype=np.int16).reshape(2, 3), name="I16"),
                  fits.ImageHDU(np.zeros((0, 5), np.float32), name="ZERO"),
                  fits.ImageHDU(name="LAST")]).writeto(path)
    with open_source(path) as s:
        yield s, scan(s), path


def test_empty_and_zero_length_images(src):
    s, hdus, path = src
    empty, i16, zero, last = hdus[1:]
    assert s.read(empty.data_offset, 1) == b"X"  # what the old read returned (88)
    assert not has_data(empty) and not has_data(last) and has_data(zero)
    for info in (hdus[0], empty, last):
        assert image_view(s, info) is None
        out = np.full(3, 7.0, np.float32)
        assert read_image(s, info, np.dtype("float32"), out, None) is None
        assert (out == 7.0).all()
    with fits.open(path) as h:
        np.testing.assert_array_equal(image_view(s, i16), h["I16"].data)
        np.testing.assert_array_equal(read_image(s, i16, np.dtype("float64"), None, 1),
                                      h["I16"].data)
        for got in (image_view(s, zero), read_image(s, zero, np.dtype("float32"), None, None)):
            assert got.shape == h["ZERO"].data.shape == (0, 5)
    assert not image_view(s, zero).flags.writeable
    with pytest.raises(ValueError, match=r"I16,1.*out holds 5 elements"):
        read_image(s, i16, np.dtype("float32"), np.empty(5, np.float32), None)


def test_raw_data_is_the_data_unit(src):
    s, hdus, _ = src
    assert raw_data(s, hdus[2]).tobytes() == np.arange(6, dtype=">i2").tobytes()
    assert raw_data(s, hdus[1]).size == 0 and raw_data(s, hdus[1]).dtype == np.uint8
