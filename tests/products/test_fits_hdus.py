"""Product as an astropy HDUList: integer keys, len, iteration, ``in``, info(), the
primary HDU's data, and images without data (NAXIS = 0) first and last.

Every value is compared against astropy's reading of the same hand-built file.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from astropy.io import fits

import ramps


def _empty_first_and_last(path):
    """SCI (NAXIS=0) first, ERR with data, DQ (NAXIS=0) last: no byte follows DQ's header."""
    prim = fits.PrimaryHDU()
    prim.header["DATAMODL"] = "ImageModel"
    fits.HDUList([prim, fits.ImageHDU(name="SCI"),
                  fits.ImageHDU(np.arange(12, dtype=np.float32).reshape(3, 4), name="ERR"),
                  fits.ImageHDU(name="DQ")]).writeto(path)
    return path


def test_empty_images_read_as_none(tmp_path):
    """Before: p.read("SCI") returned 88 (the 'X' of the next XTENSION card) and the
    empty last HDU raised TruncatedFileError."""
    path = _empty_first_and_last(tmp_path / "empty.fits")
    with ramps.open(path) as p, fits.open(path) as h:
        assert h["SCI"].data is None and h["DQ"].data is None
        for key in ("SCI", "DQ", 1, 3, -1, ("SCI", 1)):
            assert p[key] is None, key
            assert p.read(key) is None, key
            assert p.read(key, dtype="float32", out=np.zeros(5, np.float32)) is None
            assert p.lazy(key) is None, key
        assert p.sci is None
        assert np.asarray(p.sci).item() is None  # as np.asarray(hdul["SCI"].data)
        np.testing.assert_array_equal(p["ERR"], h["ERR"].data)
        np.testing.assert_array_equal(p.read(2), h[2].data)
        assert [e.shape for e in p] == [(), (), (3, 4), ()]
        assert [e.dtype for e in p] == [None, None, np.dtype("float32"), None]
        assert p.datasum("DQ") == 0 and p.datasum(1) == 0
        p.verify_checksums()


def test_empty_images_with_checksums(tmp_path):
    path = tmp_path / "ck.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(name="SCI")]).writeto(path, checksum=True)
    with ramps.open(path, checksum=True) as p:
        assert p["SCI"] is None
        assert [r.datasum for r in p.verify_checksums()] == [True, True]


def test_zero_length_axis_is_an_empty_array_as_in_astropy(tmp_path):
    """NAXIS=2 with NAXIS2=0: astropy gives an empty (0, 4) array, not None."""
    path = tmp_path / "zero.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((0, 4), np.int16), name="SCI"),
                  fits.ImageHDU(np.zeros((0, 2), np.uint16), name="DQ")]).writeto(path)
    with ramps.open(path) as p, fits.open(path) as h:
        for name in ("SCI", "DQ"):
            assert p[name].shape == h[name].data.shape == (0, h[name].data.shape[1])
            assert p.read(name).shape == h[name].data.shape
            assert p.read(name).dtype == h[name].data.dtype.newbyteorder("=")
        lazy = p.sci
        assert lazy.shape == (0, 4) and np.asarray(lazy).shape == (0, 4)
        assert lazy[0:5].shape == (0, 4)


def test_primary_data(tmp_path):
    data = np.arange(24, dtype=np.uint16).reshape(4, 6) * 1000
    prim = fits.PrimaryHDU(data)
    path = tmp_path / "prim.fits"
    fits.HDUList([prim, fits.ImageHDU(np.ones((2, 2), np.float32), name="SCI")]).writeto(path)
    with ramps.open(path) as p, fits.open(path) as h:
        for key in (0, "PRIMARY", ("PRIMARY", 1), -2):
            np.testing.assert_array_equal(p[key], h[0].data)
        np.testing.assert_array_equal(p.read(0), h[0].data)
        assert p.read(0).dtype == np.uint16 == h[0].data.dtype
        np.testing.assert_array_equal(p.lazy(0)[1], h[0].data[1].astype(np.float32))
        assert p.header("PRIMARY") == h[0].header
        assert p.header("PRIMARY")["BZERO"] == 32768
        assert "PRIMARY" in p and 0 in p


def test_integer_keys_len_iteration_contains(tmp_path):
    path = tmp_path / "many.fits"
    hdus = [fits.PrimaryHDU()]
    for v in (1, 2):
        h = fits.ImageHDU(np.full((2, 3), v, np.float32), name="SCI")
        h.ver = v
        hdus.append(h)
    hdus.append(fits.ImageHDU(np.arange(5, dtype=np.int32)))  # no EXTNAME
    rows = np.zeros(2, dtype=[("x", ">f8")])
    hdus.append(fits.BinTableHDU(rows, name="TAB"))
    fits.HDUList(hdus).writeto(path)
    with ramps.open(path) as p, fits.open(path) as h:
        assert len(p) == len(h) == 5
        assert [(e.name, e.ver, e.type) for e in p] == [
            ("PRIMARY", 1, "PRIMARY"), ("SCI", 1, "IMAGE"), ("SCI", 2, "IMAGE"),
            ("", 1, "IMAGE"), ("TAB", 1, "BINTABLE")]
        assert list(p) == p.extensions
        for i in range(1, 4):
            np.testing.assert_array_equal(p[i], h[i].data)
            np.testing.assert_array_equal(p.read(i), h[i].data)
            np.testing.assert_array_equal(p[i - 5], h[i - 5].data)
        np.testing.assert_array_equal(p[-1]["x"], h[-1].data["x"])
        np.testing.assert_array_equal(p["SCI", 2], h["SCI", 2].data)
        assert p.header(3) == h[3].header and p.header(-1) == h[-1].header
        assert p.table(4)["x"].tolist() == [0.0, 0.0]
        assert 1 in p and 4 in p and -5 in p and 5 not in p and -6 not in p
        assert "sci" in p and ("SCI", 2) in p and ("SCI", 3) not in p and "NOPE" not in p
        assert 1.5 not in p and None not in p
        with pytest.raises(IndexError, match="no HDU 5"):
            p[5]
        with pytest.raises(KeyError, match="SCI,3"):
            p["SCI", 3]
        with pytest.raises(TypeError, match="not an image"):
            p.read(4)


def test_name_without_extver_one_is_the_first_of_that_name(tmp_path):
    """As astropy's hdul["SCI"]: a file whose only SCI has EXTVER 2."""
    h = fits.ImageHDU(np.ones((2, 2), np.float32), name="SCI")
    h.ver = 2
    path = tmp_path / "v2.fits"
    fits.HDUList([fits.PrimaryHDU(), h]).writeto(path)
    with ramps.open(path) as p, fits.open(path) as ref:
        np.testing.assert_array_equal(p["SCI"], ref["SCI"].data)
        assert p.hdu("SCI").ver == 2
        with pytest.raises(KeyError):
            p.hdu("SCI", 1)


def test_info_prints_the_astropy_table(tmp_path):
    path = tmp_path / "info.fits"
    scaled = fits.ImageHDU(np.arange(6, dtype=np.uint16).reshape(2, 3), name="DQ")
    rows = np.zeros(3, dtype=[("a", ">i4"), ("b", "S5")])
    fits.HDUList([fits.PrimaryHDU(np.zeros((2, 2), np.float64)), fits.ImageHDU(name="SCI"),
                  scaled, fits.BinTableHDU(rows, name="T")]).writeto(path)
    with ramps.open(path) as p, fits.open(path) as h:
        assert p.info(output=False) == h.info(output=False)
        ours, theirs = io.StringIO(), io.StringIO()
        p.info(ours)
        h.info(theirs)
        assert ours.getvalue().splitlines()[1:] == theirs.getvalue().splitlines()[1:]
        assert ours.getvalue().startswith(f"Filename: {p.path}\n")
